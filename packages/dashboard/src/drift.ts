/** One desired leaf against the device's report. */
export interface DriftRow {
  path: string;
  desired: unknown;
  reported: unknown;
  state: 'in sync' | 'drift' | 'not reported';
  desiredUpdated?: string;
  reportedUpdated?: string;
  /** The report is older than the desired value it should answer. */
  stale: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function lastUpdated(metadata: unknown, path: string[]): string | undefined {
  let node: unknown = metadata;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  return isObject(node) && typeof node.$lastUpdated === 'string' ? node.$lastUpdated : undefined;
}

/**
 * Desired and reported side by side: every desired leaf (not `$`-keys) with the reported value at the
 * same path, whether they agree, and whether the report predates the desired value (stale).
 */
export function driftRows(desired: Json, reported: Json): DriftRow[] {
  const rows: DriftRow[] = [];
  const walk = (want: Json, have: unknown, path: string[]): void => {
    for (const [key, value] of Object.entries(want)) {
      if (key.startsWith('$')) continue;
      const at = [...path, key];
      const got = isObject(have) ? have[key] : undefined;
      if (isObject(value)) {
        walk(value, got, at);
        continue;
      }
      const desiredUpdated = lastUpdated(desired.$metadata, at);
      const reportedUpdated = lastUpdated(reported.$metadata, at);
      const state = got === undefined ? 'not reported' : JSON.stringify(got) === JSON.stringify(value) ? 'in sync' : 'drift';
      rows.push({
        path: at.join('.'),
        desired: value,
        reported: got,
        state,
        ...(desiredUpdated ? { desiredUpdated } : {}),
        ...(reportedUpdated ? { reportedUpdated } : {}),
        stale: state !== 'in sync' && desiredUpdated !== undefined && (reportedUpdated === undefined || reportedUpdated < desiredUpdated),
      });
    }
  };
  walk(desired, reported, []);
  return rows;
}

/** A twin section without `$metadata` and `$version`: what the editor shows and sends back. */
export function withoutSystemKeys(section: Json | undefined): Json {
  return Object.fromEntries(Object.entries(section ?? {}).filter(([key]) => key !== '$metadata' && key !== '$version'));
}
