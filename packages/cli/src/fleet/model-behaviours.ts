import {
  firmwareUpdate,
  periodicTelemetry,
  reboot,
  telemetryConfig,
  thermostatTelemetry,
  type Behaviour,
  type Random,
  type TimerHandle,
} from '@hubemu/device-agent';
import type { DeviceModel, Distribution } from './scenario.js';

/** Draws one value (ms, rounded) of a distribution with a device's seeded random. */
export function sample(distribution: Distribution, random: Random): number {
  if (typeof distribution === 'number') return distribution;
  if ('fixed' in distribution) return distribution.fixed;
  if ('uniform' in distribution) {
    const [min, max] = distribution.uniform;
    return Math.round(min + (max - min) * random());
  }
  if ('normal' in distribution) {
    // Box-Muller; cut at 0.
    const u = Math.max(random(), Number.EPSILON);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(distribution.normal.mean + distribution.normal.sd * z));
  }
  return Math.round(-distribution.exponential.mean * Math.log(Math.max(1 - random(), Number.EPSILON)));
}

/** A behaviour whose options are drawn per device when it attaches (each device has its own seeded random). */
function perDevice(name: string, make: (random: Random) => Behaviour): Behaviour {
  return { name, attach: (device, context) => make(context.random).attach(device, context) };
}

/** Drops the device offline every `everyMs` for `forMs` (both drawn afresh each time). */
function offlinePeriods(everyMs: Distribution, forMs: Distribution): Behaviour {
  return {
    name: 'offlinePeriods',
    attach(device, { scheduler, random }) {
      let timer: TimerHandle | undefined;
      let stopped = false;
      const arm = (): void => {
        timer = scheduler.setTimeout(() => {
          if (stopped) return;
          device.restart({ downtimeMs: sample(forMs, random) }).then(arm, arm);
        }, sample(everyMs, random));
      };
      arm();
      return () => {
        stopped = true;
        timer?.cancel();
      };
    },
  };
}

/**
 * The behaviours of one device of a scenario model. `offline` is decided by the caller (a share of the
 * model's devices, chosen by index so the same seed picks the same devices).
 */
export function modelBehaviours(model: DeviceModel, offline: boolean): Behaviour[] {
  const failureRate = model.failureRate ?? 0;
  const fails = (random: Random) => (): boolean => failureRate > 0 && random() < failureRate;
  const config = perDevice('telemetryConfig', (random) =>
    telemetryConfig({ applyDelayMs: model.applyDelayMs === undefined ? 200 : sample(model.applyDelayMs, random), jitter: model.applyDelayMs === undefined ? 0.2 : 0, failWhen: fails(random) }),
  );
  const telemetry =
    model.telemetryIntervalMs === null
      ? []
      : [periodicTelemetry({ ...(model.telemetryIntervalMs === undefined ? {} : { intervalMs: model.telemetryIntervalMs }), ...(model.model === 'thermostat' ? { payload: thermostatTelemetry } : {}) })];
  const behaviours: Behaviour[] = [];
  if (model.model === 'thermostat') {
    behaviours.push(
      config,
      perDevice('firmwareUpdate', (random) => {
        const stage = model.firmwareStageMs === undefined ? undefined : sample(model.firmwareStageMs, random);
        return firmwareUpdate({
          failureRate,
          ...(stage === undefined ? {} : { stageMs: { downloading: stage, verifying: stage, applying: stage, rebooting: stage }, jitter: 0 }),
        });
      }),
      perDevice('reboot', (random) => reboot(model.rebootDowntimeMs === undefined ? {} : { downtimeMs: sample(model.rebootDowntimeMs, random), jitter: 0 })),
    );
  } else if (model.model === 'sensor') {
    behaviours.push(config);
  }
  if (model.model !== 'plain') behaviours.push(...telemetry);
  if (offline && model.offline) behaviours.push(offlinePeriods(model.offline.everyMs, model.offline.forMs));
  return behaviours;
}
