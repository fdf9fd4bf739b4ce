import { pathOf } from './query-text.js';

/** The groups of the fleet compliance view, in the order the page shows them. */
export type ComplianceGroup = 'applied' | 'pending' | 'failed' | 'offline' | 'notTargeted';

/** Reported statuses that mean the device tried and failed (the tutorials report `Failed`). */
export const FAILED_STATUSES = ['Failed', 'Error'];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `telemetryConfig.sendFrequency` -> its names; empty names are refused. */
export function parsePropertyPath(text: string): string[] {
  const names = text.trim().replace(/^properties\.desired\./, '').split('.');
  if (names.some((name) => name.trim() === '')) throw new Error(`'${text}' is not a property path: write names separated by dots, e.g. telemetryConfig.`);
  return names.map((name) => name.trim());
}

/** The leaf paths below a desired value (`$`-keys left out), added to `into`; a primitive is one leaf, the value itself. */
export function collectLeaves(value: unknown, into: Map<string, string[]>, at: string[] = []): void {
  if (!isObject(value)) {
    into.set(at.join('\u0000'), at);
    return;
  }
  for (const [key, child] of Object.entries(value)) if (!key.startsWith('$')) collectLeaves(child, into, [...at, key]);
}

/**
 * The query conditions of each group, for a desired property path and the leaves desired values have
 * below it. A device is in exactly one group when its reported leaves have the types of the desired ones:
 *
 * - `notTargeted`: it has no desired value at the path;
 * - `failed`: it reports `status` 'Failed' or 'Error' at the path;
 * - `applied`: otherwise, every desired leaf is reported with the same value;
 * - `pending`: otherwise, connected (a leaf is missing or differs);
 * - `offline`: otherwise, disconnected: its reported state is stale until it comes back.
 */
export function complianceConditions(path: readonly string[], leaves: ReadonlyArray<readonly string[]>): Record<ComplianceGroup, string> {
  const desired = (leaf: readonly string[] = []): string => `properties.desired.${pathOf([...path, ...leaf])}`;
  const reported = (leaf: readonly string[] = []): string => `properties.reported.${pathOf([...path, ...leaf])}`;
  const targeted = `IS_DEFINED(${desired()})`;
  const status = reported(['status']);
  const statuses = `[${FAILED_STATUSES.map((s) => `'${s}'`).join(', ')}]`;
  const failed = `${status} IN ${statuses}`;
  const notFailed = `(NOT IS_DEFINED(${status}) OR ${status} NIN ${statuses})`;
  const matches = leaves.map((leaf) => `(NOT IS_DEFINED(${desired(leaf)}) OR (IS_DEFINED(${reported(leaf)}) AND ${reported(leaf)} = ${desired(leaf)}))`);
  const differs = leaves.map((leaf) => `(IS_DEFINED(${desired(leaf)}) AND (NOT IS_DEFINED(${reported(leaf)}) OR ${reported(leaf)} != ${desired(leaf)}))`);
  const notApplied = differs.length === 0 ? 'false' : differs.length === 1 ? differs[0] : `(${differs.join(' OR ')})`;
  return {
    applied: [targeted, notFailed, ...matches].join(' AND '),
    pending: [targeted, notFailed, notApplied, "connectionState = 'Connected'"].join(' AND '),
    failed: `${targeted} AND ${failed}`,
    offline: [targeted, notFailed, notApplied, "connectionState = 'Disconnected'"].join(' AND '),
    notTargeted: `NOT ${targeted}`,
  };
}
