import { ServiceError, type ServiceClient } from '@hubemu/backend';
import type { FleetRecorder } from './fleet-recorder.js';
import type { WorkerDevice } from './protocol.js';

/** The registry's bulk call takes at most 100 identities. */
const BULK_SIZE = 100;
/** Bulk calls in flight at once. */
const BULK_CONCURRENCY = 4;

async function inBatches<T>(items: readonly T[], signal: AbortSignal | undefined, work: (batch: T[]) => Promise<void>): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += BULK_SIZE) batches.push(items.slice(i, i + BULK_SIZE));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batches.length && !signal?.aborted) await work(batches[next++] as T[]);
  };
  await Promise.all(Array.from({ length: BULK_CONCURRENCY }, lane));
}

function reasonOf(error: unknown): string {
  return error instanceof ServiceError ? `${error.status} ${error.errorCode}` : error instanceof Error ? error.message : String(error);
}

/**
 * Creates the devices with the registry's bulk `POST /devices` (create-or-update, keys generated; devices
 * sign with the policy key) and returns the ids that exist afterwards; refusals go to the recorder's errors.
 */
export async function createIdentities(client: ServiceClient, devices: readonly WorkerDevice[], recorder: FleetRecorder, signal: AbortSignal): Promise<string[]> {
  const created: string[] = [];
  await inBatches(devices, signal, async (batch) => {
    try {
      const result = await client.devices.bulk(batch.map((d) => ({ id: d.id, importMode: 'createOrUpdate' as const })));
      const refused = new Set(result.errors.map((e) => e.deviceId));
      for (const e of result.errors) recorder.addError(`identity: ${e.errorStatus ?? e.errorCode}`, e.deviceId);
      for (const d of batch) if (!refused.has(d.id)) created.push(d.id);
    } catch (error) {
      for (const d of batch) recorder.addError(`identity: ${reasonOf(error)}`, d.id);
    }
  });
  return created;
}

/** Deletes the identities in bulk; returns how many went. */
export async function removeIdentities(client: ServiceClient, ids: readonly string[]): Promise<number> {
  let removed = 0;
  await inBatches(ids, undefined, async (batch) => {
    const result = await client.devices.bulk(batch.map((id) => ({ id, importMode: 'delete' as const }))).catch(() => undefined);
    if (result) removed += batch.length - result.errors.length;
  });
  return removed;
}
