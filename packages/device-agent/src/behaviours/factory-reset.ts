import { setOwn, type JsonObject } from '@hubemu/shared';
import { patchAtPath } from '../client/json-path.js';
import { jittered } from '../scheduler/random.js';
import { isoTime, type Behaviour } from './behaviour.js';

export type FactoryResetStatus = 'resetting' | 'completed';

export interface FactoryResetOptions {
  /** The method name. Default `factoryReset`. */
  methodName?: string;
  /** Where the status is reported. Default `iothubDM.factoryReset`. */
  reportPath?: string;
  /** Restart after the reset, so the device syncs and applies desired state from scratch. Default true. */
  restart?: boolean;
  /** Offline time of that restart. Default 500 ms. */
  downtimeMs?: number;
  jitter?: number;
}

/**
 * The `factoryReset` direct method: answers 200, reports `status: 'resetting'`, deletes every reported
 * property (one patch of nulls), reports `{ status: 'completed', lastFactoryReset }`, then restarts.
 */
export function factoryReset(options: FactoryResetOptions = {}): Behaviour {
  const methodName = options.methodName ?? 'factoryReset';
  const reportPath = options.reportPath ?? 'iothubDM.factoryReset';
  const downtimeMs = options.downtimeMs ?? 500;
  const jitter = options.jitter ?? 0.2;
  return {
    name: 'factoryReset',
    attach(device, { scheduler, random }) {
      let resetting = false;
      const report = (value: JsonObject): Promise<unknown> => device.updateReported(patchAtPath(reportPath, value));
      return device.onMethod(methodName, () => {
        if (resetting) return { status: 409, payload: { message: 'A factory reset is already in progress.' } };
        resetting = true;
        return {
          status: 200,
          payload: { message: 'Factory reset started' },
          afterResponse: async () => {
            try {
              const lastFactoryReset = isoTime(scheduler.now());
              await report({ status: 'resetting', lastFactoryReset });
              const clear: JsonObject = {};
              for (const key of Object.keys(device.reported)) setOwn(clear, key, null);
              await device.updateReported(clear);
              await report({ status: 'completed', lastFactoryReset });
              if (options.restart !== false) await device.restart({ downtimeMs: jittered(random, downtimeMs, jitter) });
            } finally {
              resetting = false;
            }
          },
        };
      });
    },
  };
}
