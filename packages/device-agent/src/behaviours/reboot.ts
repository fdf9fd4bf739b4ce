import type { JsonObject } from '@hubemu/shared';
import { patchAtPath } from '../client/json-path.js';
import { jittered } from '../scheduler/random.js';
import { isoTime, type Behaviour } from './behaviour.js';

export type RebootStatus = 'rebooting' | 'rebooted';

export interface RebootOptions {
  /** The method name. Default `reboot`. */
  methodName?: string;
  /** Where the status is reported. Default `iothubDM.reboot` (the device management tutorial's path). */
  reportPath?: string;
  /** How long the device stays offline. Default 500 ms. */
  downtimeMs?: number;
  /** Random spread of downtimeMs (fraction). Default 0.2. */
  jitter?: number;
}

/**
 * The `reboot` direct method of the device management tutorial: answers 200, reports
 * `{ lastReboot, rebootStatus: 'rebooting' }`, disconnects, reconnects after downtimeMs, then reports
 * `rebootStatus: 'rebooted'`. A second request while rebooting gets 409.
 */
export function reboot(options: RebootOptions = {}): Behaviour {
  const methodName = options.methodName ?? 'reboot';
  const reportPath = options.reportPath ?? 'iothubDM.reboot';
  const downtimeMs = options.downtimeMs ?? 500;
  const jitter = options.jitter ?? 0.2;
  return {
    name: 'reboot',
    attach(device, { scheduler, random }) {
      let rebooting = false;
      const report = (value: JsonObject): Promise<unknown> => device.updateReported(patchAtPath(reportPath, value));
      const off = device.onMethod(methodName, () => {
        if (rebooting) return { status: 409, payload: { message: 'A reboot is already in progress.' } };
        rebooting = true;
        return {
          status: 200,
          payload: { message: 'Reboot started' },
          afterResponse: async () => {
            try {
              const lastReboot = isoTime(scheduler.now());
              await report({ lastReboot, rebootStatus: 'rebooting' });
              await device.restart({ downtimeMs: jittered(random, downtimeMs, jitter) });
              await report({ lastReboot, rebootStatus: 'rebooted' });
            } finally {
              rebooting = false;
            }
          },
        };
      });
      return off;
    },
  };
}
