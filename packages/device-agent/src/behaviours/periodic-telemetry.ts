import { isJsonObject, type PropertyBag } from '@hubemu/shared';
import type { TelemetryBody } from '../client/telemetry.js';
import type { Random } from '../scheduler/random.js';
import type { TimerHandle } from '../scheduler/scheduler.js';
import type { Behaviour, BehaviourDevice } from './behaviour.js';
import { parseDuration } from './durations.js';

export interface TelemetrySample {
  deviceId: string;
  /** 0, 1, 2, ... per device. */
  sequence: number;
  now: number;
  random: Random;
}

export interface PeriodicTelemetryOptions {
  /** A fixed interval. Without it the interval follows reported `telemetryConfig.sendFrequency`, else defaultIntervalMs. */
  intervalMs?: number;
  /** Interval when neither intervalMs nor a reported sendFrequency says otherwise. Default 60 s. */
  defaultIntervalMs?: number;
  /** Never send more often than this (guards against `sendFrequency: '1ms'`). Default 100 ms. */
  minIntervalMs?: number;
  /** The message body. Default: `{ sequence, timestamp }`. */
  payload?: (sample: TelemetrySample) => TelemetryBody;
  /** Application properties for every message. */
  properties?: PropertyBag;
  /** Called when a send fails (the schedule goes on). */
  onError?: (error: unknown, device: BehaviourDevice) => void;
}

/** The interval the device is configured for: reported telemetryConfig.sendFrequency when it parses. */
function configuredInterval(device: BehaviourDevice): number | undefined {
  const config = device.reported.telemetryConfig;
  return isJsonObject(config) ? parseDuration(config.sendFrequency) : undefined;
}

/**
 * Sends telemetry periodically on the shared scheduler: one timer per device, armed for the next send.
 * The first message goes at a seeded random point of the first interval, so a fleet does not send in
 * lockstep. A new reported sendFrequency re-arms the timer at once. Skips (without queueing) while offline.
 */
export function periodicTelemetry(options: PeriodicTelemetryOptions = {}): Behaviour {
  const minInterval = options.minIntervalMs ?? 100;
  const payload = options.payload ?? ((s: TelemetrySample): TelemetryBody => ({ sequence: s.sequence, timestamp: new Date(s.now).toISOString() }));
  return {
    name: 'periodicTelemetry',
    attach(device, { scheduler, random }) {
      let sequence = 0;
      let timer: TimerHandle | undefined;
      const interval = (): number =>
        Math.max(minInterval, options.intervalMs ?? configuredInterval(device) ?? options.defaultIntervalMs ?? 60_000);
      let lastSent = scheduler.now() - Math.floor(random() * interval());
      const arm = (): void => {
        timer?.cancel();
        timer = scheduler.setTimeout(send, Math.max(0, lastSent + interval() - scheduler.now()));
      };
      const send = (): void => {
        lastSent = scheduler.now();
        arm();
        if (!device.isConnected) return;
        try {
          const body = payload({ deviceId: device.deviceId, sequence: sequence++, now: lastSent, random });
          device.sendTelemetry(body, options.properties).catch((error: unknown) => options.onError?.(error, device));
        } catch (error) {
          options.onError?.(error, device);
        }
      };
      arm();
      const off = options.intervalMs === undefined ? device.onReported((patch) => {
        if ('telemetryConfig' in patch) arm();
      }) : () => undefined;
      return () => {
        off();
        timer?.cancel();
      };
    },
  };
}
