import type { JsonObject, PropertyBag } from '@hubemu/shared';
import type { RestartOptions } from '../client/device-client.js';
import type { MethodHandler } from '../client/method-router.js';
import type { TelemetryBody } from '../client/telemetry.js';
import type { DesiredChange } from '../client/twin-sync-state.js';
import type { Logger } from '../logger.js';
import type { Random } from '../scheduler/random.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/**
 * What a behaviour did with a desired change. `applied`/`failed` end a convergence measurement (desired
 * `$version` arrived -> matching report sent); `ignored` (or nothing) means the change was not its business;
 * `superseded` means a newer change replaced it before it finished.
 */
export type DesiredOutcome = 'applied' | 'failed' | 'ignored' | 'superseded';

export type DesiredHandler = (change: DesiredChange) => void | DesiredOutcome | Promise<void | DesiredOutcome>;

/** The device as a behaviour sees it: a synced twin, methods, telemetry and a way to reboot. */
export interface BehaviourDevice {
  readonly deviceId: string;
  readonly moduleId: string | undefined;
  /** Desired properties (local copy, without `$version`). Treat as read-only. */
  readonly desired: JsonObject;
  /** Reported properties (local copy, including what this device reported). Treat as read-only. */
  readonly reported: JsonObject;
  readonly isConnected: boolean;
  updateReported(patch: JsonObject): Promise<{ version: number }>;
  sendTelemetry(body: TelemetryBody, properties?: PropertyBag): Promise<void>;
  /** Called with the first full sync and then every fresh desired change (never a stale one). */
  onDesired(handler: DesiredHandler): () => void;
  onMethod(name: string, handler: MethodHandler): () => void;
  /** Called after every reported patch the hub accepted, whoever sent it. */
  onReported(handler: (patch: JsonObject) => void): () => void;
  /** Disconnects and connects again after `downtimeMs`; the twin syncs again on reconnect. */
  restart(options?: RestartOptions): Promise<void>;
}

export interface BehaviourContext {
  readonly scheduler: Scheduler;
  /** Seeded per device: the same seed gives the same stage durations and failures. */
  readonly random: Random;
  readonly logger: Logger;
}

/** A small composable unit of simulated device behaviour. */
export interface Behaviour {
  readonly name: string;
  /** Wires the behaviour to a device; returns a function that detaches it (cancelling its timers). */
  attach(device: BehaviourDevice, context: BehaviourContext): () => void;
}

/** Milliseconds since the epoch as IoT Hub-style ISO text. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
