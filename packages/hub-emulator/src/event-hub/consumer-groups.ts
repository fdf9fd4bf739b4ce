import type { ConsumerGroups } from '../control/consumer-groups-router.js';
import type { Store } from '../store/collection.js';
import { DEFAULT_CONSUMER_GROUP, type EventLog } from './event-log.js';

/** Where a hub of several processes keeps its consumer groups, in the store's `meta` (a JSON list of names). */
const KEY = 'eventHubConsumerGroups';

/**
 * The consumer groups as the control routes and the embedded API change them. On a hub of several
 * processes (docs/scale-out.md) the list is kept in the shared store, and every process's log follows
 * it: a group created or deleted through one process is there, or gone, on all of them.
 */
export function sharedConsumerGroups(log: EventLog, store: Store): ConsumerGroups {
  if (!store.replicated) return log;
  const meta = store.collection<string>('meta');
  const follow = (names: readonly string[]): void => {
    const wanted = new Set(names.map((name) => name.toLowerCase()));
    for (const name of log.listConsumerGroups()) if (!wanted.has(name.toLowerCase()) && name !== DEFAULT_CONSUMER_GROUP) log.deleteConsumerGroup(name);
    for (const name of names) if (!log.hasConsumerGroup(name)) log.createConsumerGroup(name);
  };
  const stored = (): readonly string[] | undefined => {
    const text = meta.get(KEY);
    return text === undefined ? undefined : (JSON.parse(text) as string[]);
  };
  const save = (): void => meta.put(KEY, JSON.stringify(log.listConsumerGroups()));
  const saved = stored();
  if (saved) follow(saved);
  store.onRemote((write) => {
    if (write.collection === 'meta' && write.key === KEY) follow(stored() ?? []);
  });
  return {
    listConsumerGroups: () => log.listConsumerGroups(),
    getConsumerGroup: (name) => log.getConsumerGroup(name),
    createConsumerGroup: (name) => {
      const created = log.createConsumerGroup(name);
      save();
      return created;
    },
    deleteConsumerGroup: (name) => {
      log.deleteConsumerGroup(name);
      save();
    },
  };
}
