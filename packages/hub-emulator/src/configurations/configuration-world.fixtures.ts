import { parseHubOptions, withoutSystemKeys, type JsonObject, type Twin } from '@hubemu/shared';
import { configurationService, createCore } from '../core.js';
import type { TwinUpdatedEvent } from '../events.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ConfigurationService } from './configuration-service.js';

export interface WorldOptions {
  maxConfigurations?: number;
  /** Twins per chunk of a pass (default 100). */
  chunkSize?: number;
}

/** A registry, twin service and query service over a memory store, with the configuration service on top. */
export function world(options: WorldOptions = {}) {
  let now = Date.parse('2024-05-01T10:00:00Z');
  const clock = { now: () => (now += 1) };
  const store = new MemoryStore();
  const core = createCore({ options: parseHubOptions({ inMemory: true, queryLoose: false }), store, clock });
  const { events, registry, twins, query } = core;
  const makeService = (): ConfigurationService =>
    configurationService(core, { intervalMs: 60_000, ...(options.maxConfigurations === undefined ? {} : { maxConfigurations: options.maxConfigurations }), chunkSize: options.chunkSize ?? 100 });
  const updates: TwinUpdatedEvent[] = [];
  events.on('twinUpdated', (e) => updates.push(e));
  const w = {
    service: makeService(),
    store,
    events,
    query,
    updates,
    /** A new configuration service over the same store, as after a restart of a durable hub. */
    restart(): ConfigurationService {
      w.service.stop();
      w.service = makeService();
      return w.service;
    },
    device(deviceId: string, tags: JsonObject = {}, desired?: JsonObject) {
      registry.createDevice(deviceId, {});
      twins.updateTwin(deviceId, undefined, { tags, ...(desired ? { properties: { desired } } : {}) }, 'patch', { source: 'service' });
    },
    module(deviceId: string, moduleId: string, tags: JsonObject) {
      registry.putModule(deviceId, moduleId, {});
      twins.updateTwin(deviceId, moduleId, { tags }, 'patch', { source: 'service' });
    },
    tag(deviceId: string, tags: JsonObject) {
      twins.updateTwin(deviceId, undefined, { tags }, 'patch', { source: 'service' });
    },
    /** A service-side desired patch, as `PATCH /twins/{id}` or a job makes it. */
    patchDesired(deviceId: string, desired: JsonObject) {
      twins.updateTwin(deviceId, undefined, { properties: { desired } }, 'patch', { source: 'service' });
    },
    twin: (deviceId: string, moduleId?: string): Twin => twins.getTwin(deviceId, moduleId),
    desired: (deviceId: string, moduleId?: string): JsonObject => withoutSystemKeys(twins.getTwin(deviceId, moduleId).properties.desired),
    status: (deviceId: string, id: string, moduleId?: string) => twins.getTwin(deviceId, moduleId).configurations?.[id]?.status,
  };
  return w;
}

export const deviceConfig = (content: JsonObject, targetCondition: string, priority = 10, metrics?: Record<string, string>) => ({
  content: { deviceContent: content },
  targetCondition,
  priority,
  ...(metrics ? { metrics: { queries: metrics } } : {}),
});
