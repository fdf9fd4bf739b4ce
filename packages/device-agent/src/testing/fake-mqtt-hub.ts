import {
  applyMergePatch,
  DESIRED_PATCH_FILTER,
  METHOD_REQUEST_FILTER,
  parseDeviceTopic,
  topics,
  tryParseJson,
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from '@hubemu/shared';
import { connackError, type MqttConnectParams, type MqttConnection, type MqttConnector } from '../client/mqtt-connection.js';
import { DeviceClientError } from '../errors.js';

export interface FakePublish {
  clientId: string;
  topic: string;
  payload: string;
  qos: 0 | 1;
}

interface FakeTwin {
  desired: JsonObject;
  reported: JsonObject;
  desiredVersion: number;
  reportedVersion: number;
}

class FakeConnection implements MqttConnection {
  connected = true;
  readonly filters = new Set<string>();
  private messageHandler: (topic: string, payload: Buffer) => void = () => undefined;
  private closeHandler: (error: Error | undefined) => void = () => undefined;

  constructor(
    private readonly hub: FakeMqttHub,
    readonly clientId: string,
  ) {}

  onMessage(handler: (topic: string, payload: Buffer) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.closeHandler = handler;
  }

  async publish(topic: string, payload: string | Buffer, qos: 0 | 1): Promise<void> {
    if (!this.connected) throw new DeviceClientError('NotConnected', 'closed');
    this.hub.receive({ clientId: this.clientId, topic, payload: payload.toString(), qos }, this);
  }

  async subscribe(filters: readonly string[], qos: 0 | 1): Promise<number[]> {
    if (!this.connected) throw new DeviceClientError('NotConnected', 'closed');
    this.hub.subscribes.push({ clientId: this.clientId, filters: [...filters], qos });
    return filters.map((f) => {
      if (this.hub.refusedFilters.has(f)) return 128;
      this.filters.add(f);
      return 0;
    });
  }

  async end(): Promise<void> {
    this.close(undefined);
  }

  destroy(): void {
    this.close(undefined);
  }

  /** Hub -> device, asynchronously like a network. */
  deliver(topic: string, payload: string): void {
    queueMicrotask(() => {
      if (this.connected) this.messageHandler(topic, Buffer.from(payload));
    });
  }

  close(error: Error | undefined): void {
    if (!this.connected) return;
    this.connected = false;
    this.hub.forget(this);
    this.closeHandler(error);
  }
}

/**
 * An in-memory stand-in for the MQTT side of a hub, for unit tests of the client and the fleet: it accepts
 * connections through its `connector`, records what devices send, and (unless `autoRespond` is off) answers
 * twin GET and reported PATCH from a per-identity twin. It is not the hub emulator and does not try to be.
 */
export class FakeMqttHub {
  readonly connects: MqttConnectParams[] = [];
  readonly published: FakePublish[] = [];
  readonly subscribes: Array<{ clientId: string; filters: string[]; qos: 0 | 1 }> = [];
  /** CONNACK return code to answer per client id (absent: 0, accepted). */
  readonly refuse = new Map<string, number>();
  readonly refusedFilters = new Set<string>();
  autoRespond = true;
  private readonly twins = new Map<string, FakeTwin>();
  private readonly live = new Map<string, FakeConnection>();
  private waiters: Array<{ match: (p: FakePublish) => boolean; resolve: (p: FakePublish) => void }> = [];

  readonly connector: MqttConnector = async (params) => {
    this.connects.push(params);
    await Promise.resolve();
    const code = this.refuse.get(params.clientId) ?? 0;
    if (code !== 0) throw connackError(code);
    this.live.get(params.clientId)?.close(new Error('ConnectionForcefullyClosedOnNewConnection'));
    const connection = new FakeConnection(this, params.clientId);
    this.live.set(params.clientId, connection);
    return connection;
  };

  connection(clientId: string): FakeConnection | undefined {
    return this.live.get(clientId);
  }

  twin(clientId: string): FakeTwin {
    let twin = this.twins.get(clientId);
    if (!twin) {
      twin = { desired: {}, reported: {}, desiredVersion: 1, reportedVersion: 1 };
      this.twins.set(clientId, twin);
    }
    return twin;
  }

  /** A back-end desired patch: bumps `$version` and notifies the device if it is subscribed. */
  patchDesired(clientId: string, patch: JsonObject): number {
    const twin = this.twin(clientId);
    twin.desired = applyMergePatch(twin.desired, patch);
    twin.desiredVersion++;
    this.notify(clientId, { ...patch, $version: twin.desiredVersion });
    return twin.desiredVersion;
  }

  /** Sends a desired notification as given (for version-rule tests). */
  notify(clientId: string, body: JsonObject & { $version: number }): void {
    const connection = this.live.get(clientId);
    if (connection?.filters.has(DESIRED_PATCH_FILTER)) connection.deliver(topics.desiredPatch(body.$version), JSON.stringify(body));
  }

  /** Invokes a direct method and resolves with the device's answer. */
  async invokeMethod(clientId: string, methodName: string, payload: JsonValue, rid = `m${this.published.length}`): Promise<{ status: number; payload: JsonValue }> {
    const connection = this.live.get(clientId);
    if (!connection?.filters.has(METHOD_REQUEST_FILTER)) throw new Error('DeviceNotOnline');
    const answer = this.nextPublish((p) => p.clientId === clientId && p.topic.startsWith('$iothub/methods/res/') && p.topic.endsWith(`$rid=${rid}`));
    connection.deliver(topics.methodRequest(methodName, rid), JSON.stringify(payload));
    const published = await answer;
    const parsed = parseDeviceTopic(published.topic);
    const body = tryParseJson(published.payload);
    return { status: parsed.kind === 'methodResponse' ? parsed.status : -1, payload: body.ok ? (body.value as JsonValue) : null };
  }

  /** Resolves with the next publish that matches (or one already seen, if `includeSeen`). */
  nextPublish(match: (p: FakePublish) => boolean, includeSeen = false): Promise<FakePublish> {
    if (includeSeen) {
      const seen = this.published.find(match);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Drops a device's connection as a network failure would. */
  drop(clientId: string): void {
    this.live.get(clientId)?.close(new Error('ECONNRESET'));
  }

  /** Raw hub -> device message. */
  send(clientId: string, topic: string, payload: string): void {
    this.live.get(clientId)?.deliver(topic, payload);
  }

  forget(connection: FakeConnection): void {
    if (this.live.get(connection.clientId) === connection) this.live.delete(connection.clientId);
  }

  receive(publish: FakePublish, connection: FakeConnection): void {
    this.published.push(publish);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (waiter.match(publish)) waiter.resolve(publish);
      else this.waiters.push(waiter);
    }
    if (!this.autoRespond) return;
    const parsed = parseDeviceTopic(publish.topic);
    const twin = this.twin(publish.clientId);
    if (parsed.kind === 'twinGet') {
      const body = { desired: { ...twin.desired, $version: twin.desiredVersion }, reported: { ...twin.reported, $version: twin.reportedVersion } };
      connection.deliver(topics.twinResponse(200, parsed.rid), JSON.stringify(body));
    } else if (parsed.kind === 'twinPatchReported') {
      const patch = tryParseJson(publish.payload);
      if (!patch.ok || !isJsonObject(patch.value)) {
        connection.deliver(topics.twinResponse(400, parsed.rid), JSON.stringify({ errorCode: 400004, message: 'bad patch' }));
        return;
      }
      twin.reported = applyMergePatch(twin.reported, patch.value);
      twin.reportedVersion++;
      connection.deliver(topics.twinResponse(204, parsed.rid, twin.reportedVersion), '');
    }
  }
}
