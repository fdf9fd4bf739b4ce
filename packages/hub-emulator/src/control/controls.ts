import { HubError, identityKey, parseWithSchema, TrafficFilterSchema, type ResetResult, type TrafficFilter, type TrafficPage } from '@hubemu/shared';
import type { HubCore } from '../core.js';
import type { MqttPlane } from '../mqtt/device-plane.js';

/**
 * The test controls, one implementation behind `/emulator/*` (REST), `hubemu emulator ...` (CLI, over
 * REST) and the embedded API (`hub.reset()`, `hub.traffic()`, `hub.disconnectDevice()`).
 */
export interface Controls {
  /** Back to the seeded state without restarting listeners: every connection closed, state emptied, the seed applied again. */
  reset(): Promise<ResetResult>;
  /**
   * What crossed the planes (the bounded traffic record), filtered by a TrafficFilter (parsed here: a bad
   * one is 400 ArgumentInvalid). On a hub of several processes, every process's record, merged by time.
   */
  traffic(filter?: TrafficFilter | Record<string, unknown>): TrafficPage | Promise<TrafficPage>;
  /** Drops an identity's connection on every plane; false when it was not connected, 404 when it does not exist. */
  disconnect(deviceId: string, moduleId?: string): boolean;
}

/** `everywhere`: on a hub of several processes, the traffic of all of them (`ClusterControls.traffic`). */
export function createControls(core: HubCore, mqtt: Pick<MqttPlane, 'disconnectAll'>, everywhere?: (filter: TrafficFilter) => Promise<TrafficPage>): Controls {
  return {
    async reset() {
      const started = performance.now();
      core.stop();
      const disconnected = await mqtt.disconnectAll();
      const devices = core.reset();
      // On a hub of several processes, the reset is answered once it is committed for all of them.
      await core.store.settled();
      return { devices, disconnected, durationMs: performance.now() - started };
    },
    traffic: (filter = {}) => {
      const parsed = parseTrafficFilter(filter);
      return everywhere ? everywhere(parsed) : core.traffic.list(parsed);
    },
    disconnect(deviceId, moduleId) {
      const key = identityKey(deviceId, moduleId);
      if (!core.table.get(key)) throw new HubError(moduleId === undefined ? 'DeviceNotFound' : 'ModuleNotFound', `There is no identity '${key}'.`);
      return core.links.disconnect(key);
    },
  };
}

/** A traffic query as given (REST query parameters, the embedded API), checked: 400 ArgumentInvalid naming what is wrong. */
export function parseTrafficFilter(filter: TrafficFilter | Record<string, unknown>): TrafficFilter {
  return parseWithSchema(TrafficFilterSchema, filter, 'traffic query');
}
