import { isJsonObject, type JsonObject, type JsonValue } from '@hubemu/shared';
import { jittered } from '../scheduler/random.js';
import { delay } from '../scheduler/scheduler.js';
import type { Behaviour, BehaviourDevice, DesiredOutcome } from './behaviour.js';
import { parseDuration } from './durations.js';

export type TelemetryConfigStatus = 'Pending' | 'Success' | 'Failed';

/** `properties.reported.telemetryConfig`, as in Microsoft's device twin configuration tutorial. */
export interface ReportedTelemetryConfig {
  configId: string;
  sendFrequency: string;
  status: TelemetryConfigStatus;
  pendingConfig?: { configId: string; sendFrequency: string } | null;
}

export interface TelemetryConfigOptions {
  /** How long applying a new configuration takes (the tutorial waits 60 s). Default 200 ms. */
  applyDelayMs?: number;
  /** Random spread of applyDelayMs (fraction). Default 0.2. */
  jitter?: number;
  /** The configuration a device starts with (reported when the twin has none). Default `{ configId: '0', sendFrequency: '24h' }`. */
  initial?: { configId: string; sendFrequency: string };
  /** Decides that applying a configuration fails (besides an unparseable sendFrequency, which always fails). */
  failWhen?: (config: { configId: string; sendFrequency: string }) => boolean;
}

interface DesiredConfig {
  configId: string;
  sendFrequency: string;
}

/** Desired telemetryConfig; without a configId, one is made from the desired `$version` (`v7`). */
function readDesired(value: JsonValue | undefined, version: number): { config: DesiredConfig; hasId: boolean } | undefined {
  if (!isJsonObject(value) || value.sendFrequency === undefined || value.sendFrequency === null) return undefined;
  const hasId = value.configId !== undefined && value.configId !== null;
  return { config: { configId: hasId ? String(value.configId) : `v${version}`, sendFrequency: String(value.sendFrequency) }, hasId };
}

/** Same configuration: by configId when the back end gives one, else by sendFrequency. */
function sameConfig(a: { configId?: unknown; sendFrequency?: unknown }, b: DesiredConfig, byId: boolean): boolean {
  return byId ? String(a.configId) === b.configId : String(a.sendFrequency) === b.sendFrequency;
}

function readReported(device: BehaviourDevice): JsonObject | undefined {
  const value = device.reported.telemetryConfig;
  return isJsonObject(value) ? value : undefined;
}

/**
 * The multi-step configuration of the "device twin configuration" tutorial: desired
 * `telemetryConfig: { configId?, sendFrequency }` -> reported `status: 'Pending'` with `pendingConfig`
 * -> after applyDelayMs, `status: 'Success'` with the new `configId`/`sendFrequency` (or `'Failed'`).
 */
export function telemetryConfig(options: TelemetryConfigOptions = {}): Behaviour {
  const applyDelayMs = options.applyDelayMs ?? 200;
  const jitter = options.jitter ?? 0.2;
  const initial = options.initial ?? { configId: '0', sendFrequency: '24h' };
  return {
    name: 'telemetryConfig',
    attach(device, { scheduler, random }) {
      let generation = 0;
      let active: DesiredConfig | undefined;
      const detached = new AbortController();

      const apply = async (wanted: DesiredConfig): Promise<DesiredOutcome> => {
        const mine = ++generation;
        active = wanted;
        const current = readReported(device);
        const base = { configId: String(current?.configId ?? initial.configId), sendFrequency: String(current?.sendFrequency ?? initial.sendFrequency) };
        try {
          await device.updateReported({ telemetryConfig: { ...base, status: 'Pending', pendingConfig: { ...wanted } } });
          await delay(scheduler, jittered(random, applyDelayMs, jitter), detached.signal);
          if (mine !== generation) return 'superseded';
          const fails = parseDuration(wanted.sendFrequency) === undefined || options.failWhen?.(wanted) === true;
          const result = fails ? { ...base, status: 'Failed', pendingConfig: null } : { ...wanted, status: 'Success', pendingConfig: null };
          await device.updateReported({ telemetryConfig: result });
          return fails ? 'failed' : 'applied';
        } finally {
          if (mine === generation) active = undefined;
        }
      };

      const off = device.onDesired(async (change) => {
        if (change.source === 'patch' && !('telemetryConfig' in change.patch)) return 'ignored';
        const desired = readDesired(change.desired.telemetryConfig, change.version);
        const current = readReported(device);
        if (!desired) {
          if (change.source === 'sync' && !current) {
            await device.updateReported({ telemetryConfig: { ...initial, status: 'Success' } });
          }
          return 'ignored';
        }
        const { config, hasId } = desired;
        if (active && sameConfig(active, config, hasId)) return 'ignored';
        if (current && current.status === 'Success' && sameConfig(current, config, hasId)) return 'ignored';
        return apply(config);
      });

      return () => {
        detached.abort();
        off();
      };
    },
  };
}
