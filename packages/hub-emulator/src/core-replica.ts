import { identityKey } from '@hubemu/shared';
import type { HubEvents, TwinUpdatedEvent } from './events.js';
import type { DeviceEntry, Presence } from './registry/device-entry.js';
import type { DeviceLinks } from './device-link.js';
import type { StoredJob } from './jobs/job-schemas.js';
import type { DeviceTable } from './registry/device-table.js';
import type { Store } from './store/collection.js';

/** What a twin write tells other processes, riding with it in the shared store. */
interface TwinNote {
  twinUpdated: TwinUpdatedEvent;
}

function isTwinNote(note: unknown): note is TwinNote {
  return typeof note === 'object' && note !== null && 'twinUpdated' in note;
}

export interface ReplicaDeps {
  store: Store;
  table: DeviceTable;
  events: HubEvents;
  links: DeviceLinks;
  /** Another process stored a job. */
  jobStored: (job: StoredJob) => void;
  /** Another process created, changed or deleted a configuration. */
  configurationsChanged: () => void;
  /** Forgets caches and indexes after another process emptied the store. */
  cleared: () => void;
}

/**
 * How a core follows the other processes of a cluster (docs/scale-out.md): their writes reach its
 * indexes and caches exactly as its own do, and the `twinUpdated` event a twin write raised travels
 * with it, so a desired change made anywhere reaches the device wherever it is connected. Nothing
 * happens on a store that belongs to one process.
 */
export function followReplica({ store, table, events, links, jobStored, configurationsChanged, cleared }: ReplicaDeps): void {
  if (!store.replicated) return;
  events.holdWith((name, args, deliver) => {
    if (name === 'twinUpdated') {
      const event = args[0] as TwinUpdatedEvent;
      if (!event.remote) store.note('identities', identityKey(event.deviceId, event.moduleId), { twinUpdated: event } satisfies TwinNote);
    }
    store.afterCommit(deliver);
  });
  store.onRemote((write) => {
    switch (write.collection) {
      case 'identities':
        table.applyRemote(write.key, write.value as DeviceEntry | undefined, write.previous as DeviceEntry | undefined);
        // Deleted or disabled through another process: a connection here goes, as it would on one process.
        if (write.value === undefined || (write.value as DeviceEntry).status === 'disabled') links.disconnectHere(write.key);
        if (isTwinNote(write.note)) events.emit('twinUpdated', { ...write.note.twinUpdated, remote: true });
        return;
      case 'presence': {
        table.presence.applyRemote(write.key, write.value as Presence | undefined);
        // One connection per identity across the cluster: the identity connected to another process, so the one here goes.
        if (table.presence.heldElsewhere(write.key)) links.disconnectHere(write.key);
        links.changed(write.key);
        return;
      }
      case 'jobs':
        if (write.value) jobStored(write.value as StoredJob);
        return;
      case 'configurations':
        configurationsChanged();
        return;
      default:
        return;
    }
  });
  store.onRemoteClear(cleared);
}
