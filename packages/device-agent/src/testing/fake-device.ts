import { applyMergePatch, type JsonObject, type JsonValue, type PropertyBag } from '@hubemu/shared';
import type { RestartOptions } from '../client/device-client.js';
import { MethodRouter, methodResponseBody, runMethodHandler, type MethodHandler } from '../client/method-router.js';
import type { TelemetryBody } from '../client/telemetry.js';
import type { DesiredChange } from '../client/twin-sync-state.js';
import { DeviceClientError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { createRandom, deriveSeed } from '../scheduler/random.js';
import { delay, type Scheduler } from '../scheduler/scheduler.js';
import type { Behaviour, BehaviourContext, BehaviourDevice, DesiredHandler } from '../behaviours/behaviour.js';
import { DesiredDispatcher, type ConvergenceRecord } from '../behaviours/desired-dispatcher.js';

export interface FakeDeviceOptions {
  scheduler: Scheduler;
  deviceId?: string;
  desired?: JsonObject;
  reported?: JsonObject;
  seed?: number;
}

export interface FakeMethodResult {
  status: number;
  payload: JsonValue;
  /** The work the handler scheduled after its answer (a reboot, an update); resolves when it is done. */
  after: Promise<void>;
}

/**
 * An in-memory device for testing behaviours without a hub or a network: a twin with versions that merges
 * patches, methods, telemetry and restarts, all on the given (usually manual) scheduler. It hands
 * behaviours desired changes exactly as SimulatedDevice does (first a sync, then patches, a sync after
 * every restart) and records what they report.
 */
export class FakeDevice implements BehaviourDevice {
  readonly deviceId: string;
  readonly moduleId = undefined;
  desired: JsonObject;
  reported: JsonObject;
  desiredVersion = 1;
  reportedVersion = 1;
  isConnected = true;
  restarts = 0;
  /** Every reported patch, in order. */
  readonly reportedPatches: JsonObject[] = [];
  readonly telemetry: Array<{ body: TelemetryBody; properties: PropertyBag | undefined }> = [];
  readonly convergence: ConvergenceRecord[] = [];
  readonly context: BehaviourContext;
  private readonly dispatcher: DesiredDispatcher;
  private readonly methods = new MethodRouter();
  private readonly detachers: Array<() => void> = [];
  private readonly reportedHandlers = new Set<(patch: JsonObject) => void>();

  constructor(private readonly options: FakeDeviceOptions) {
    this.deviceId = options.deviceId ?? 'fake-device';
    this.desired = options.desired ?? {};
    this.reported = options.reported ?? {};
    this.dispatcher = new DesiredDispatcher(() => options.scheduler.now());
    this.context = { scheduler: options.scheduler, random: createRandom(deriveSeed(options.seed ?? 1, this.deviceId)), logger: silentLogger };
  }

  /** Attaches behaviours and hands them the first sync; resolves when they have handled it. */
  start(...behaviours: Behaviour[]): Promise<ConvergenceRecord | undefined> {
    for (const behaviour of behaviours) this.detachers.push(behaviour.attach(this, this.context));
    return this.dispatch({ source: 'sync', version: this.desiredVersion, patch: this.desired, desired: this.desired, gap: false });
  }

  stop(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  /** What a back-end desired PATCH does: merge, bump `$version`, notify. Resolves when the behaviours are done. */
  setDesired(patch: JsonObject): Promise<ConvergenceRecord | undefined> {
    this.desired = applyMergePatch(this.desired, patch);
    this.desiredVersion++;
    return this.dispatch({ source: 'patch', version: this.desiredVersion, patch, desired: this.desired, gap: false });
  }

  /** Invokes a direct method as the hub would; `after` settles when the work after the answer is done. */
  async invokeMethod(name: string, payload: JsonValue = null): Promise<FakeMethodResult> {
    const handler = this.methods.find(name);
    if (!handler) throw new DeviceClientError('HubError', `No handler for method ${name}.`, { status: 404, errorCode: 404103 });
    const raw = Buffer.from(JSON.stringify(payload));
    const result = await runMethodHandler(handler, { methodName: name, rid: String(this.restarts), payload, rawPayload: raw });
    const after = result.afterResponse ? Promise.resolve().then(result.afterResponse) : Promise.resolve();
    return { status: result.status, payload: JSON.parse(methodResponseBody(result)) as JsonValue, after: after.then(() => undefined) };
  }

  async updateReported(patch: JsonObject): Promise<{ version: number }> {
    if (!this.isConnected) throw new DeviceClientError('NotConnected', 'The fake device is offline.');
    this.reported = applyMergePatch(this.reported, patch);
    this.reportedPatches.push(patch);
    const version = ++this.reportedVersion;
    for (const handler of [...this.reportedHandlers]) handler(patch);
    return { version };
  }

  async sendTelemetry(body: TelemetryBody, properties?: PropertyBag): Promise<void> {
    if (!this.isConnected) throw new DeviceClientError('NotConnected', 'The fake device is offline.');
    this.telemetry.push({ body, properties });
  }

  onDesired(handler: DesiredHandler): () => void {
    return this.dispatcher.add(handler);
  }

  onMethod(name: string, handler: MethodHandler): () => void {
    return this.methods.add(name, handler);
  }

  onReported(handler: (patch: JsonObject) => void): () => void {
    this.reportedHandlers.add(handler);
    return () => {
      this.reportedHandlers.delete(handler);
    };
  }

  /** Goes offline for `downtimeMs` on the scheduler, comes back and syncs (the behaviours see a `sync`). */
  async restart(options: RestartOptions = {}): Promise<void> {
    this.isConnected = false;
    this.restarts++;
    await delay(this.options.scheduler, options.downtimeMs ?? 0);
    this.isConnected = true;
    void this.dispatch({ source: 'sync', version: this.desiredVersion, patch: this.desired, desired: this.desired, gap: false });
  }

  /** The value of reported property `name` (shortcut for tests). */
  reportedValue(name: string): JsonValue | undefined {
    return this.reported[name];
  }

  private async dispatch(change: DesiredChange): Promise<ConvergenceRecord | undefined> {
    const record = await this.dispatcher.dispatch(change);
    if (record) this.convergence.push(record);
    return record;
  }
}
