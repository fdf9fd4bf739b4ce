import { EventEmitter } from 'node:events';
import {
  DESIRED_PATCH_FILTER,
  METHOD_REQUEST_FILTER,
  TWIN_RESPONSE_FILTER,
  isC2dTopicOf,
  isJsonObject,
  parseC2dTopic,
  parseHubTopic,
  topics,
  type JsonObject,
  type PropertyBag,
} from '@hubemu/shared';
import { DeviceClientError, isDeviceClientError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { createRandom, jittered, type Random } from '../scheduler/random.js';
import { delay, type Scheduler, type TimerHandle } from '../scheduler/scheduler.js';
import { defaultScheduler } from '../scheduler/shared-scheduler.js';
import { resolveClientConfig, type DeviceClientConfig, type ResolvedClientConfig } from './client-options.js';
import type { C2dDelivery } from './c2d-delivery.js';
import { buildConnectFields } from './connect-fields.js';
import { DeviceTwin, type DeviceTwinOptions, type ReportedPatchOptions, type RequestOptions, type TwinChannel } from './device-twin.js';
import {
  MethodRouter,
  methodResponseBody,
  parseMethodPayload,
  runMethodHandler,
  type MethodHandler,
  type MethodRequest,
  type MethodResult,
} from './method-router.js';
import { connectWithMqttJs, type MqttConnection, type MqttConnector } from './mqtt-connection.js';
import { RequestTracker } from './request-tracker.js';
import { encodeTelemetry, type TelemetryBody } from './telemetry.js';
import { Subscriptions } from './subscriptions.js';
import { createTrafficCounters, type TrafficCounters } from './traffic.js';
import { parseDesiredPatch, parseTwinDocument, twinResponseError, type DesiredPatch, type TwinDocument } from './twin-messages.js';

export interface DeviceClientOptions extends DeviceClientConfig {
  /** Timers (request timeouts, reconnect backoff, token renewal). Default: the process-wide shared scheduler. */
  scheduler?: Scheduler;
  /** Randomness for reconnect jitter (seed it for reproducible fleets). */
  random?: Random;
  logger?: Logger;
  /** Counters to add this client's traffic to (a fleet shares one object). */
  traffic?: TrafficCounters;
  /** How MQTT connections are opened (tests pass an in-memory fake). Default: MQTT.js. */
  connector?: MqttConnector;
}

export interface ConnectInfo {
  /** False for the connection open() made; true after a reconnect, a restart or a token renewal. */
  reconnected: boolean;
}

export type DisconnectReason = 'closed' | 'lost' | 'restart' | 'tokenRenewal';

export interface DisconnectInfo {
  reason: DisconnectReason;
  willReconnect: boolean;
  error: Error | undefined;
}

export type DeviceClientEvents = {
  /** Connected, with every subscription in place. */
  connect: [info: ConnectInfo];
  disconnect: [info: DisconnectInfo];
  /** Background failures (a reconnect given up, a refused subscription, a method response lost). Emitted only when listened to. */
  error: [error: Error];
  /** Every desired-properties notification, as the hub sent it (no version filtering; see twin()). */
  desired: [patch: DesiredPatch];
  c2d: [message: C2dDelivery];
  /** Every direct-method request, before its handler runs. */
  method: [request: MethodRequest];
};

export interface RestartOptions {
  /** How long the device stays offline before connecting again. */
  downtimeMs?: number;
  /** Send DISCONNECT first (default true); false drops the socket as a crash would. */
  graceful?: boolean;
}

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting';

const closedError = (deviceId: string): DeviceClientError => new DeviceClientError('Closed', 'The client was closed.', { deviceId });

/**
 * An IoT Hub device (or module) client over MQTT 3.1.1 that connects exactly as Microsoft's Node SDK does.
 * Twin requests are correlated by `$rid` (answers may come in any order); `$iothub` subscriptions are
 * made at QoS 0 when first needed and restored after every reconnect, before `connect` is emitted.
 */
export class DeviceClient extends EventEmitter<DeviceClientEvents> implements TwinChannel {
  readonly deviceId: string;
  readonly moduleId: string | undefined;
  /** The hub host name used in the SAS `sr` and the username. */
  readonly hostName: string;
  readonly traffic: TrafficCounters;
  private readonly config: ResolvedClientConfig;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly connector: MqttConnector;
  private readonly tracker: RequestTracker;
  private readonly methods = new MethodRouter();
  private readonly desiredHandlers = new Set<(patch: DesiredPatch) => void>();
  private readonly c2dHandlers = new Set<(message: C2dDelivery) => void>();
  private readonly subscriptions: Subscriptions;
  private connection: MqttConnection | undefined;
  private state: State = 'idle';
  private lifecycle = new AbortController();
  private opening: Promise<void> | undefined;
  private renewal: TimerHandle | undefined;
  private twinPromise: Promise<DeviceTwin> | undefined;
  private twinInstance: DeviceTwin | undefined;

  /** `new DeviceClient({ connectionString, ...options })`. */
  static fromConnectionString(connectionString: string, options: Omit<DeviceClientOptions, 'connectionString'> = {}): DeviceClient {
    return new DeviceClient({ ...options, connectionString });
  }

  constructor(options: DeviceClientOptions | string) {
    super();
    const { scheduler, random, logger, traffic, connector, ...config } = typeof options === 'string' ? { connectionString: options } : options;
    this.config = resolveClientConfig(config);
    this.deviceId = this.config.deviceId;
    this.moduleId = this.config.moduleId;
    this.hostName = this.config.hostName;
    this.scheduler = scheduler ?? defaultScheduler();
    this.random = random ?? createRandom(Math.floor(Math.random() * 2 ** 32));
    this.logger = logger ?? silentLogger;
    this.traffic = traffic ?? createTrafficCounters();
    this.connector = connector ?? connectWithMqttJs;
    this.tracker = new RequestTracker(this.scheduler);
    this.subscriptions = new Subscriptions(this.deviceId);
  }

  get isConnected(): boolean {
    return this.state === 'connected' && this.connection?.connected === true;
  }

  /** Connects (and restores subscriptions). Resolves when connected; rejects with a DeviceClientError. */
  open(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.opening) return this.opening;
    this.lifecycle = new AbortController();
    this.state = 'connecting';
    const attempt = this.connectOnce(this.lifecycle.signal).then(
      () => this.markConnected(false),
      (error: unknown) => {
        if (this.opening === tracked) this.state = 'idle';
        throw error;
      },
    );
    const tracked: Promise<void> = attempt.finally(() => {
      if (this.opening === tracked) this.opening = undefined;
    });
    this.opening = tracked;
    return tracked;
  }

  /** Disconnects (DISCONNECT, then close), fails requests in flight with `Closed` and stops reconnecting. */
  async close(): Promise<void> {
    const wasConnected = this.state === 'connected';
    this.lifecycle.abort();
    this.state = 'idle';
    this.opening = undefined;
    this.cancelRenewal();
    const connection = this.dropConnection(closedError(this.deviceId));
    this.twinInstance?.stop();
    this.twinInstance = undefined;
    this.twinPromise = undefined;
    if (connection) await connection.end().catch(() => undefined);
    if (wasConnected) {
      this.traffic.disconnects++;
      this.emit('disconnect', { reason: 'closed', willReconnect: false, error: undefined });
    }
  }

  /** Drops the connection and connects again after `downtimeMs`: what a reboot looks like to the hub. */
  restart(options: RestartOptions = {}): Promise<void> {
    return this.cycle('restart', options.downtimeMs ?? 0, options.graceful ?? true);
  }

  /** GETs the twin's desired and reported properties (with `$version`, without `$metadata`). */
  async getTwin(options: RequestOptions = {}): Promise<TwinDocument> {
    const { rid, body } = await this.twinRequest('twin GET', (r) => topics.twinGet(r), ' ', options.timeoutMs);
    return parseTwinDocument(body, rid);
  }

  /** PATCHes reported properties (null deletes a key); resolves with the new reported `$version`. */
  async updateReported(patch: JsonObject, options: ReportedPatchOptions = {}): Promise<{ version: number }> {
    if (!isJsonObject(patch)) throw new DeviceClientError('InvalidArgument', 'A reported patch is a JSON object.', { deviceId: this.deviceId });
    const { rid, version } = await this.twinRequest(
      'reported PATCH',
      (r) => topics.twinPatchReported(r, options.version),
      JSON.stringify(patch),
      options.timeoutMs,
    );
    if (version === undefined) {
      throw new DeviceClientError('ProtocolError', 'The hub accepted the reported patch but sent no $version.', { rid, deviceId: this.deviceId });
    }
    this.twinInstance?.recordReported(patch, version);
    return { version };
  }

  /**
   * Calls `handler` with every desired notification (unfiltered; twin() applies the version rule).
   * Resolves once the hub has acknowledged the subscription (or at once when offline: it is made on connect).
   */
  async onDesired(handler: (patch: DesiredPatch) => void): Promise<() => void> {
    this.desiredHandlers.add(handler);
    const off = (): void => {
      this.desiredHandlers.delete(handler);
    };
    try {
      await this.subscriptions.ensure(DESIRED_PATCH_FILTER, this.connection);
    } catch (error) {
      off();
      throw error;
    }
    return off;
  }

  /**
   * A local copy of the twin kept current (subscribe, GET, drop stale notifications; again after every
   * reconnect). The same DeviceTwin is returned on every call until close().
   */
  twin(options: Omit<DeviceTwinOptions, 'scheduler'> = {}): Promise<DeviceTwin> {
    if (!this.twinPromise) {
      const twin = new DeviceTwin(this, { ...options, scheduler: this.scheduler });
      this.twinInstance = twin;
      const started: Promise<DeviceTwin> = twin.start().then(
        () => twin,
        (error: unknown) => {
          twin.stop();
          if (this.twinPromise === started) {
            this.twinPromise = undefined;
            this.twinInstance = undefined;
          }
          throw error;
        },
      );
      this.twinPromise = started;
    }
    return this.twinPromise;
  }

  /**
   * Answers direct method `name` (or every method without its own handler, for `'*'`) with the handler's
   * `{ status, payload }` on `$iothub/methods/res/{status}/?$rid=`. Resolves once subscribed.
   */
  async onMethod(name: string, handler: MethodHandler): Promise<() => void> {
    const off = this.methods.add(name, handler);
    try {
      await this.subscriptions.ensure(METHOD_REQUEST_FILTER, this.connection);
    } catch (error) {
      off();
      throw error;
    }
    return off;
  }

  /**
   * Calls `handler` with every cloud-to-device message sent to this device (docs/messaging.md), with its
   * properties from the topic's property bag. The client's PUBACK completes the message at the hub,
   * once the handlers have run; a device over MQTT cannot reject or abandon one. Resolves once subscribed.
   */
  async onC2d(handler: (message: C2dDelivery) => void): Promise<() => void> {
    if (this.moduleId !== undefined) throw new DeviceClientError('ProtocolError', 'Cloud-to-device messages go to devices, not modules.', { deviceId: this.deviceId });
    this.c2dHandlers.add(handler);
    const off = (): void => {
      this.c2dHandlers.delete(handler);
    };
    try {
      await this.subscriptions.ensure(topics.c2dFilter(this.deviceId), this.connection);
    } catch (error) {
      off();
      throw error;
    }
    return off;
  }

  /** Sends a device-to-cloud message on `devices/{id}/messages/events/{bag}` at QoS 1; resolves on PUBACK. */
  async sendTelemetry(body: TelemetryBody, properties: PropertyBag = {}): Promise<void> {
    const message = encodeTelemetry(body, properties);
    const connection = this.requireConnection();
    await connection.publish(topics.telemetry(this.deviceId, message.properties, this.moduleId), message.payload, 1);
    this.traffic.sent++;
    this.traffic.telemetry++;
  }

  // ---------------------------------------------------------------------------------------------
  // Connection lifecycle

  private async connectOnce(signal: AbortSignal): Promise<void> {
    const fields = buildConnectFields(this.config, this.scheduler.now());
    this.log('debug', 'connecting', { url: fields.url });
    const connection = await this.connector({
      url: fields.url,
      clientId: fields.clientId,
      username: fields.username,
      password: fields.password,
      keepaliveSeconds: this.config.keepaliveSeconds,
      cleanSession: this.config.cleanSession,
      connectTimeoutMs: this.config.connectTimeoutMs,
      ca: this.config.ca,
      localAddress: this.config.localAddress,
      resumeTlsSession: this.config.resumeTlsSession,
      rejectUnauthorized: this.config.rejectUnauthorized,
    });
    if (signal.aborted) {
      connection.destroy();
      throw closedError(this.deviceId);
    }
    this.connection = connection;
    if (connection.tlsSessionReused === true) this.traffic.tlsResumed++;
    this.subscriptions.reset();
    connection.onMessage((topic, payload) => this.handleMessage(topic, payload));
    connection.onClose((error) => this.handleClose(connection, error));
    try {
      const refused = await this.subscriptions.restore(connection);
      if (refused) this.emitError(refused);
    } catch (error) {
      if (this.connection === connection) this.dropConnection(error instanceof Error ? error : new Error(String(error)));
      connection.destroy();
      throw error;
    }
    if (signal.aborted) {
      connection.destroy();
      throw closedError(this.deviceId);
    }
    this.scheduleRenewal(fields.tokenExpiresAtMs, signal);
  }

  private markConnected(reconnected: boolean): void {
    this.state = 'connected';
    this.traffic.connects++;
    this.log('debug', reconnected ? 'reconnected' : 'connected', {});
    this.emit('connect', { reconnected });
  }

  /** Forgets the current connection (returned so the caller can end it) and fails requests in flight. */
  private dropConnection(error: Error): MqttConnection | undefined {
    const connection = this.connection;
    this.connection = undefined;
    this.subscriptions.reset();
    this.cancelRenewal();
    this.tracker.failAll(error);
    return connection;
  }

  private handleClose(connection: MqttConnection, error: Error | undefined): void {
    if (connection !== this.connection) return;
    this.dropConnection(new DeviceClientError('Disconnected', 'The connection dropped before the hub answered.', { deviceId: this.deviceId, cause: error }));
    if (this.state !== 'connected') return; // a connect in progress reports its own failure
    this.traffic.disconnects++;
    const willReconnect = this.config.reconnect.enabled;
    this.state = willReconnect ? 'reconnecting' : 'idle';
    this.log('info', 'connection lost', { error: error?.message, willReconnect });
    this.emit('disconnect', { reason: 'lost', willReconnect, error });
    if (willReconnect) this.startReconnect(this.backoff(0));
  }

  /** Disconnects on purpose and connects again (restart, token renewal). */
  private async cycle(reason: 'restart' | 'tokenRenewal', downtimeMs: number, graceful: boolean): Promise<void> {
    if (this.state !== 'connected') throw new DeviceClientError('NotConnected', `Cannot ${reason === 'restart' ? 'restart' : 'renew the token'}: not connected.`, { deviceId: this.deviceId });
    this.state = 'reconnecting';
    const connection = this.dropConnection(new DeviceClientError('Disconnected', `The client disconnected (${reason}).`, { deviceId: this.deviceId }));
    this.traffic.disconnects++;
    this.log('debug', reason, { downtimeMs });
    this.emit('disconnect', { reason, willReconnect: true, error: undefined });
    if (connection) {
      if (graceful) await connection.end().catch(() => undefined);
      else connection.destroy();
    }
    return this.startReconnect(downtimeMs);
  }

  private startReconnect(firstDelayMs: number): Promise<void> {
    const loop = this.reconnectLoop(firstDelayMs, this.lifecycle.signal);
    const tracked: Promise<void> = loop.finally(() => {
      if (this.opening === tracked) this.opening = undefined;
    });
    this.opening = tracked;
    tracked.catch(() => undefined); // failures are emitted as `error`; callers of open()/restart() still see them
    return tracked;
  }

  private async reconnectLoop(firstDelayMs: number, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let wait = firstDelayMs;
    for (;;) {
      if (wait > 0) await delay(this.scheduler, wait, signal).catch(() => undefined);
      if (signal.aborted) throw closedError(this.deviceId);
      try {
        await this.connectOnce(signal);
        this.markConnected(true);
        return;
      } catch (error) {
        if (signal.aborted) throw closedError(this.deviceId);
        const final = isDeviceClientError(error, 'Unauthorized') || !this.config.reconnect.enabled;
        this.log('warn', 'reconnect failed', { attempt, error: error instanceof Error ? error.message : String(error), final });
        if (final) {
          this.state = 'idle';
          this.emitError(error);
          throw error;
        }
        attempt++;
        wait = this.backoff(attempt);
      }
    }
  }

  private backoff(attempt: number): number {
    const { initialDelayMs, maxDelayMs, jitter } = this.config.reconnect;
    return jittered(this.random, Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 20)), jitter);
  }

  /** Renews the SAS token by reconnecting `tokenRenewalMarginSeconds` before it expires, as Node's SDK does. */
  private scheduleRenewal(expiresAtMs: number | undefined, signal: AbortSignal): void {
    this.cancelRenewal();
    const margin = this.config.tokenRenewalMarginSeconds * 1000;
    if (expiresAtMs === undefined || margin === 0) return;
    const lifetime = this.config.tokenLifetimeSeconds * 1000;
    const renewIn = margin < lifetime ? expiresAtMs - margin - this.scheduler.now() : lifetime / 2;
    this.renewal = this.scheduler.setTimeout(() => {
      this.renewal = undefined;
      if (signal.aborted || this.state !== 'connected') return;
      this.cycle('tokenRenewal', 0, true).catch(() => undefined);
    }, Math.max(1_000, renewIn));
  }

  private cancelRenewal(): void {
    this.renewal?.cancel();
    this.renewal = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions and requests

  private requireConnection(): MqttConnection {
    const connection = this.connection;
    if (!connection || !connection.connected || (this.state !== 'connected' && this.state !== 'connecting')) {
      throw new DeviceClientError('NotConnected', 'The client is not connected.', { deviceId: this.deviceId });
    }
    return connection;
  }

  private async twinRequest(
    what: string,
    topicFor: (rid: string) => string,
    body: string,
    timeoutMs: number | undefined,
  ): Promise<{ rid: string; version: number | undefined; body: Buffer }> {
    this.requireConnection();
    await this.subscriptions.ensure(TWIN_RESPONSE_FILTER, this.connection);
    const connection = this.requireConnection();
    const { rid, response } = this.tracker.begin(timeoutMs ?? this.config.requestTimeoutMs, what);
    this.log('debug', what, { rid });
    connection.publish(topicFor(rid), body, 0).then(
      () => {
        this.traffic.sent++;
        this.traffic.twinRequests++;
      },
      (error: unknown) => this.tracker.fail(rid, error instanceof Error ? error : new Error(String(error))),
    );
    const answer = await response;
    const error = twinResponseError(answer, rid, what, this.deviceId);
    if (error) throw error;
    return { rid, version: answer.version, body: answer.body };
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming messages

  private handleMessage(topic: string, payload: Buffer): void {
    this.traffic.received++;
    if (isC2dTopicOf(topic, this.deviceId)) return this.handleC2d(topic, payload);
    const parsed = parseHubTopic(topic);
    if (!parsed) {
      this.log('debug', 'message on an unexpected topic', { topic });
      return;
    }
    switch (parsed.kind) {
      case 'twinResponse':
        if (!this.tracker.settle(parsed.rid, { status: parsed.status, version: parsed.version, body: payload })) {
          this.log('debug', 'twin response for no waiting request', { rid: parsed.rid, status: parsed.status });
        }
        return;
      case 'desiredPatch':
        this.handleDesired(payload, parsed.version);
        return;
      case 'methodRequest':
        this.traffic.methodRequests++;
        void this.handleMethod(parsed.methodName, parsed.rid, payload);
        return;
    }
  }

  private handleC2d(topic: string, body: Buffer): void {
    const parsed = parseC2dTopic(topic);
    if (!parsed) {
      this.emitError(new DeviceClientError('ProtocolError', `A cloud-to-device topic has a property bag that is not URL-encoded: ${topic}`, { deviceId: this.deviceId }));
      return;
    }
    this.traffic.c2dMessages++;
    const { deviceId: _deviceId, ...properties } = parsed;
    const message: C2dDelivery = { ...properties, body };
    this.log('debug', 'cloud-to-device message', { messageId: message.messageId });
    this.emit('c2d', message);
    for (const handler of [...this.c2dHandlers]) {
      try {
        handler(message);
      } catch (error) {
        this.emitError(error);
      }
    }
  }

  private handleDesired(payload: Buffer, topicVersion: number): void {
    this.traffic.desiredPatches++;
    const patch = parseDesiredPatch(payload, topicVersion);
    if (!patch) {
      this.emitError(new DeviceClientError('ProtocolError', 'A desired notification body is not a JSON object.', { deviceId: this.deviceId }));
      return;
    }
    this.log('debug', 'desired notification', { version: patch.$version });
    this.emit('desired', patch);
    for (const handler of [...this.desiredHandlers]) {
      try {
        handler(patch);
      } catch (error) {
        this.emitError(error);
      }
    }
  }

  private async handleMethod(methodName: string, rid: string, raw: Buffer): Promise<void> {
    const request: MethodRequest = { methodName, rid, payload: parseMethodPayload(raw), rawPayload: raw };
    this.log('debug', 'method request', { rid, methodName });
    this.emit('method', request);
    const handler = this.methods.find(methodName);
    let result: MethodResult;
    if (handler) result = await runMethodHandler(handler, request);
    else if (this.config.unhandledMethodStatus === null) return;
    else result = { status: this.config.unhandledMethodStatus, payload: { message: `The device has no handler for method '${methodName}'.` } };
    const connection = this.connection;
    if (!connection) {
      this.log('warn', 'method answered after the connection dropped', { rid, methodName });
      return;
    }
    try {
      await connection.publish(topics.methodResponse(result.status, rid), methodResponseBody(result), 0);
      this.traffic.sent++;
      this.traffic.methodResponses++;
    } catch (error) {
      this.emitError(error);
      return;
    }
    if (result.afterResponse) {
      try {
        await result.afterResponse();
      } catch (error) {
        this.emitError(error);
      }
    }
  }

  private emitError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.log('warn', err.message, {});
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private log(level: keyof Logger, message: string, fields: Record<string, unknown>): void {
    this.logger[level]({ deviceId: this.deviceId, moduleId: this.moduleId, ...fields }, message);
  }
}
