import { EventEmitter } from 'node:events';
import { identityKey, type JsonObject, type PropertyBag } from '@hubemu/shared';
import type { DeviceClient, RestartOptions } from '../client/device-client.js';
import type { DeviceTwin } from '../client/device-twin.js';
import type { MethodHandler } from '../client/method-router.js';
import type { TelemetryBody } from '../client/telemetry.js';
import type { DesiredChange } from '../client/twin-sync-state.js';
import { silentLogger, type Logger } from '../logger.js';
import { createRandom, deriveSeed } from '../scheduler/random.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { defaultScheduler } from '../scheduler/shared-scheduler.js';
import type { Behaviour, BehaviourContext, BehaviourDevice, DesiredHandler } from './behaviour.js';
import { DesiredDispatcher, type ConvergenceRecord } from './desired-dispatcher.js';

export interface SimulatedDeviceOptions {
  behaviours: readonly Behaviour[];
  scheduler?: Scheduler;
  /** Base seed; each device derives its own from it and its id. */
  seed?: number;
  logger?: Logger;
}

export type SimulatedDeviceEvents = {
  /** A desired change was handled to the end (applied or failed), with how long it took. */
  converged: [record: ConvergenceRecord];
  error: [error: Error];
};

/**
 * A DeviceClient with behaviours attached: it keeps the twin synced, gives behaviours the first full
 * sync and every fresh desired change, and measures desired -> reported convergence.
 */
export class SimulatedDevice extends EventEmitter<SimulatedDeviceEvents> implements BehaviourDevice {
  private readonly dispatcher: DesiredDispatcher;
  private readonly context: BehaviourContext;
  private readonly detachers: Array<() => void> = [];
  private readonly subscriptions: Array<Promise<unknown>> = [];
  private twin: DeviceTwin | undefined;
  private handling = 0;
  private readonly reportedHandlers = new Set<(patch: JsonObject) => void>();
  private readonly onChange = (change: DesiredChange): void => this.dispatch(change);
  private readonly onReportedPatch = (patch: JsonObject): void => {
    for (const handler of [...this.reportedHandlers]) handler(patch);
  };

  constructor(
    readonly client: DeviceClient,
    private readonly options: SimulatedDeviceOptions,
  ) {
    super();
    const scheduler = options.scheduler ?? defaultScheduler();
    this.dispatcher = new DesiredDispatcher(() => scheduler.now());
    this.context = {
      scheduler,
      random: createRandom(deriveSeed(options.seed ?? 1, identityKey(client.deviceId, client.moduleId))),
      logger: options.logger ?? silentLogger,
    };
  }

  get deviceId(): string {
    return this.client.deviceId;
  }

  get moduleId(): string | undefined {
    return this.client.moduleId;
  }

  get desired(): JsonObject {
    return this.twin?.desired ?? {};
  }

  get reported(): JsonObject {
    return this.twin?.reported ?? {};
  }

  get isConnected(): boolean {
    return this.client.isConnected;
  }

  /** Desired changes the behaviours are still handling. */
  get inFlight(): number {
    return this.handling;
  }

  /** Syncs the twin, attaches the behaviours, subscribes their methods, then hands them the first sync. */
  async start(): Promise<void> {
    const twin = await this.client.twin();
    this.twin = twin;
    for (const behaviour of this.options.behaviours) this.detachers.push(behaviour.attach(this, this.context));
    await Promise.all(this.subscriptions);
    twin.on('desired', this.onChange);
    twin.on('reported', this.onReportedPatch);
    this.dispatch({ source: 'sync', version: twin.desiredVersion, patch: twin.desired, desired: twin.desired, gap: false });
  }

  /** Detaches the behaviours (the client stays as it is). */
  stop(): void {
    this.twin?.off('desired', this.onChange);
    this.twin?.off('reported', this.onReportedPatch);
    for (const detach of this.detachers.splice(0)) detach();
  }

  updateReported(patch: JsonObject): Promise<{ version: number }> {
    if (!this.twin) return this.client.updateReported(patch);
    return this.twin.updateReported(patch);
  }

  sendTelemetry(body: TelemetryBody, properties?: PropertyBag): Promise<void> {
    return this.client.sendTelemetry(body, properties);
  }

  onDesired(handler: DesiredHandler): () => void {
    return this.dispatcher.add(handler);
  }

  onMethod(name: string, handler: MethodHandler): () => void {
    const subscribed = this.client.onMethod(name, handler);
    this.subscriptions.push(subscribed);
    return () => {
      subscribed.then((off) => off(), () => undefined);
    };
  }

  onReported(handler: (patch: JsonObject) => void): () => void {
    this.reportedHandlers.add(handler);
    return () => {
      this.reportedHandlers.delete(handler);
    };
  }

  restart(options?: RestartOptions): Promise<void> {
    return this.client.restart(options);
  }

  private dispatch(change: DesiredChange): void {
    this.handling++;
    this.dispatcher
      .dispatch(change)
      .then(
        (record) => {
          if (record) this.emit('converged', record);
        },
        (error: unknown) => {
          if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
        },
      )
      .finally(() => {
        this.handling--;
      });
  }
}
