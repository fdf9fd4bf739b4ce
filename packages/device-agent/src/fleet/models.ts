import { getOwn } from '@hubemu/shared';
import type { Behaviour } from '../behaviours/behaviour.js';
import { factoryReset } from '../behaviours/factory-reset.js';
import { firmwareUpdate } from '../behaviours/firmware-update.js';
import { periodicTelemetry, type TelemetrySample } from '../behaviours/periodic-telemetry.js';
import { reboot } from '../behaviours/reboot.js';
import { telemetryConfig } from '../behaviours/telemetry-config.js';
import type { TelemetryBody } from '../client/telemetry.js';

/** A thermostat reading: temperature and humidity wandering around a per-device base (seeded). */
export function thermostatTelemetry(sample: TelemetrySample): TelemetryBody {
  const r = sample.random;
  return {
    temperature: Math.round((20 + 5 * r() + Math.sin(sample.sequence / 10)) * 100) / 100,
    humidity: Math.round((40 + 20 * r()) * 100) / 100,
    sequence: sample.sequence,
  };
}

/**
 * Built-in device models: the behaviours a fleet group gets when it names the model and lists none.
 * `thermostat` does everything; `sensor` only configuration and telemetry; `plain` just connects and syncs.
 */
export const DEVICE_MODELS: Readonly<Record<string, () => Behaviour[]>> = {
  thermostat: () => [telemetryConfig(), firmwareUpdate(), reboot(), factoryReset(), periodicTelemetry({ payload: thermostatTelemetry })],
  sensor: () => [telemetryConfig(), periodicTelemetry()],
  plain: () => [],
};

/** The behaviours of a model by name; unknown models (`constructor` too) get none. */
export function modelBehaviours(model: string): Behaviour[] {
  return getOwn(DEVICE_MODELS, model)?.() ?? [];
}
