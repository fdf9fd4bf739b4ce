import { identityKey } from '@hubemu/shared';
import type { HubEvents, TwinUpdatedEvent } from './events.js';
import type { DeviceEntry, Presence } from './registry/device-entry.js';
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
  /** Forgets caches and indexes after another process emptied the store. */
  cleared: () => void;
}

/**
 * How a core follows the other processes of a cluster (docs/scale-out.md): their writes reach its
 * indexes and caches exactly as its own do, and the `twinUpdated` event a twin write raised travels
 * with it, so a desired change made anywhere reaches the device wherever it is connected. Nothing
 * happens on a store that belongs to one process.
 */
export function followReplica({ store, table, events, cleared }: ReplicaDeps): void {
  if (!store.replicated) return;
  let remote = false;
  events.holdWith((name, args, deliver) => {
    if (name === 'twinUpdated' && !remote) {
      const event = args[0] as TwinUpdatedEvent;
      store.note('identities', identityKey(event.deviceId, event.moduleId), { twinUpdated: event } satisfies TwinNote);
    }
    store.afterCommit(deliver);
  });
  store.onRemote((write) => {
    switch (write.collection) {
      case 'identities':
        table.applyRemote(write.key, write.value as DeviceEntry | undefined, write.previous as DeviceEntry | undefined);
        if (isTwinNote(write.note)) {
          remote = true;
          try {
            events.emit('twinUpdated', write.note.twinUpdated);
          } finally {
            remote = false;
          }
        }
        return;
      case 'presence':
        table.presence.applyRemote(write.key, write.value as Presence | undefined);
        return;
      default:
        return;
    }
  });
  store.onRemoteClear(cleared);
}
