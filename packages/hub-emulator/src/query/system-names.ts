import type { Collection } from './ast.js';
import { invalidQuery } from './errors.js';

/**
 * System property names of twins and job rows. They match without regard to case and come back
 * in their canonical case (`SELECT DeviceId` returns `deviceId`); user keys under `tags`,
 * `desired`, `reported` and configuration ids stay case-sensitive.
 */
interface NameSpec {
  /** Children by lower-case name. */
  readonly children: ReadonlyMap<string, { readonly name: string; readonly spec: NameSpec }>;
  /** What any other (user) key below this node is; `undefined` when this node has no user keys. */
  readonly user: NameSpec | undefined;
}

function spec(children: Record<string, NameSpec | null> = {}, user?: () => NameSpec): NameSpec {
  const map = new Map<string, { name: string; spec: NameSpec }>();
  for (const [name, child] of Object.entries(children)) map.set(name.toLowerCase(), { name, spec: child ?? LEAF });
  return {
    children: map,
    get user() {
      return user?.();
    },
  };
}

const LEAF: NameSpec = spec();
/** Any user JSON below `tags`, a property, a method payload, ... */
const USER: NameSpec = spec({}, () => USER);
/** `$metadata` mirrors the user tree and holds `$lastUpdated` / `$lastUpdatedVersion` on each node. */
const METADATA: NameSpec = spec({ $lastUpdated: null, $lastUpdatedVersion: null }, () => METADATA);
const PROPERTY_SECTION: NameSpec = spec({ $version: null, $metadata: METADATA }, () => USER);
const CONFIGURATION_ENTRY: NameSpec = spec({ status: null });

const TWIN: NameSpec = spec({
  deviceId: null,
  moduleId: null,
  etag: null,
  deviceEtag: null,
  status: null,
  statusReason: null,
  statusUpdateTime: null,
  connectionState: null,
  connectionStateUpdatedTime: null,
  lastActivityTime: null,
  cloudToDeviceMessageCount: null,
  authenticationType: null,
  x509Thumbprint: spec({ primaryThumbprint: null, secondaryThumbprint: null }),
  modelId: null,
  version: null,
  generationId: null,
  managedBy: null,
  deviceScope: null,
  parentScopes: null,
  tags: USER,
  properties: spec({ desired: PROPERTY_SECTION, reported: PROPERTY_SECTION }),
  capabilities: spec({ iotEdge: null }),
  configurations: spec({}, () => CONFIGURATION_ENTRY),
});

/** The fields of a `devices.jobs` row (DeviceJobRecord). */
export const JOB_FIELDS = [
  'deviceId',
  'jobId',
  'jobType',
  'status',
  'startTimeUtc',
  'endTimeUtc',
  'createdDateTimeUtc',
  'lastUpdatedDateTimeUtc',
  'outcome',
  'error',
] as const;

const JOB: NameSpec = spec({
  deviceId: null,
  jobId: null,
  jobType: null,
  status: null,
  startTimeUtc: null,
  endTimeUtc: null,
  createdDateTimeUtc: null,
  lastUpdatedDateTimeUtc: null,
  outcome: spec({ deviceMethodResponse: spec({ status: null, payload: USER }) }),
  error: spec({ code: null, description: null }),
});

/** The docs query `devices.jobs.createdTimeUtc`, but job rows carry `createdDateTimeUtc`. */
const JOB_ALIASES: ReadonlyMap<string, string> = new Map([['createdtimeutc', 'createdDateTimeUtc']]);

export interface WrittenSegment {
  readonly text: string;
  /** Written as `[[...]]`. */
  readonly escaped: boolean;
  readonly pos: number;
}

/**
 * Turns a path as written into its resolved segments for `collection`: strips the collection
 * prefix (`devices.`, `devices.modules.`, `devices.jobs.`) and puts system names in canonical case.
 */
export function resolvePath(written: readonly WrittenSegment[], collection: Collection): string[] {
  const rest = stripCollectionPrefix(written, collection);
  const root = collection === 'devices.jobs' ? JOB : TWIN;
  const out: string[] = [];
  let current: NameSpec | undefined = root;
  for (const [index, segment] of rest.entries()) {
    const lower = segment.text.toLowerCase();
    const alias = index === 0 && collection === 'devices.jobs' ? JOB_ALIASES.get(lower) : undefined;
    const known: { readonly name: string; readonly spec: NameSpec } | undefined = alias !== undefined ? current?.children.get(alias.toLowerCase()) : current?.children.get(lower);
    if (known !== undefined) {
      out.push(known.name);
      current = known.spec;
      continue;
    }
    if (index === 0 && collection === 'devices.jobs') {
      throw invalidQuery(
        segment.pos,
        `devices.jobs has no field '${segment.text}' - job queries can use ${JOB_FIELDS.join(', ')} and cannot reference twin properties`,
      );
    }
    out.push(segment.text);
    current = current?.user ?? USER;
  }
  return out;
}

function stripCollectionPrefix(written: readonly WrittenSegment[], collection: Collection): readonly WrittenSegment[] {
  const first = written[0];
  if (first === undefined || first.escaped || first.text.toLowerCase() !== 'devices') return written;
  const second = written[1];
  const secondLower = second !== undefined && !second.escaped ? second.text.toLowerCase() : undefined;
  const named: Collection =
    secondLower === 'modules' ? 'devices.modules' : secondLower === 'jobs' ? 'devices.jobs' : 'devices';
  if (named !== collection) {
    throw invalidQuery(
      first.pos,
      `the path refers to ${named} but the query reads ${collection} - IoT Hub queries read one collection (no joins)`,
    );
  }
  const rest = written.slice(named === 'devices' ? 1 : 2);
  if (rest.length === 0) {
    throw invalidQuery(first.pos, `expected a property after '${named}.'`);
  }
  return rest;
}
