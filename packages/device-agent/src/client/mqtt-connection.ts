import { connect as mqttConnect, type IClientOptions, type MqttClient } from 'mqtt';
import type { ClientRequestArgs } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { connect as tlsConnect, createSecureContext, TLSSocket, type ConnectionOptions, type SecureContext } from 'node:tls';
import { DeviceClientError } from '../errors.js';
import { cachedLookup } from './dns-cache.js';

/** What the device client needs from one MQTT connection; tests replace it with an in-memory fake. */
export interface MqttConnection {
  readonly connected: boolean;
  /** QoS 0 resolves once written; QoS 1 once PUBACK arrives. Rejects `Disconnected` if the connection drops first. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1): Promise<void>;
  /** One SUBSCRIBE; resolves with the granted QoS per filter (128 = refused). */
  subscribe(filters: readonly string[], qos: 0 | 1): Promise<number[]>;
  /** Sends DISCONNECT and closes. */
  end(): Promise<void>;
  /** Closes the socket without DISCONNECT (what a crash or a power cut looks like). */
  destroy(): void;
  onMessage(handler: (topic: string, payload: Buffer) => void): void;
  /** Called once when the connection closes for any reason after CONNACK. */
  onClose(handler: (error: Error | undefined) => void): void;
  /** True when the TLS handshake resumed an earlier session instead of a full handshake. */
  readonly tlsSessionReused?: boolean;
}

export interface MqttConnectParams {
  url: string;
  clientId: string;
  username: string;
  password: string;
  keepaliveSeconds: number;
  cleanSession: boolean;
  connectTimeoutMs: number;
  ca: string | Buffer | undefined;
  /** Offer the last TLS session ticket this process got from the same URL (mqtts, wss), so the handshake can be resumed. */
  resumeTlsSession?: boolean;
  /** Source address (mqtts and wss; plain mqtt ignores it). */
  localAddress?: string | undefined;
  rejectUnauthorized: boolean;
}

/** Opens one connection; resolves after CONNACK 0, rejects with a DeviceClientError. */
export type MqttConnector = (params: MqttConnectParams) => Promise<MqttConnection>;

/** CONNACK return codes as Node's SDK translates them (mqtt_translate_error.ts). */
export function connackError(code: number, cause?: unknown): DeviceClientError {
  if (code === 3) return new DeviceClientError('ServiceUnavailable', `Connection refused: server unavailable (CONNACK ${code})`, { status: code, cause });
  if (code === 2 || code === 4 || code === 5) {
    return new DeviceClientError('Unauthorized', `Connection refused: not authorized (CONNACK ${code})`, { status: code, cause });
  }
  return new DeviceClientError('ConnectFailed', `Connection refused (CONNACK ${code})`, { status: code, cause });
}

function toConnectError(error: Error | undefined): DeviceClientError {
  if (error === undefined) return new DeviceClientError('ConnectFailed', 'The connection closed before CONNACK.');
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return connackError(code, error);
  return new DeviceClientError('ConnectFailed', `Could not connect: ${error.message}`, { cause: error });
}

class MqttJsConnection implements MqttConnection {
  private messageHandler: (topic: string, payload: Buffer) => void = () => undefined;
  private closeHandler: (error: Error | undefined) => void = () => undefined;
  private readonly inflight = new Set<(error: Error) => void>();
  private lastError: Error | undefined;
  private closed = false;

  constructor(
    private readonly client: MqttClient,
    readonly tlsSessionReused = false,
  ) {
    client.on('message', (topic, payload) => this.messageHandler(topic, payload));
    client.on('error', (error) => {
      this.lastError = error;
    });
    client.on('close', () => this.handleClose());
  }

  get connected(): boolean {
    return !this.closed && this.client.connected;
  }

  onMessage(handler: (topic: string, payload: Buffer) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.closeHandler = handler;
  }

  publish(topic: string, payload: string | Buffer, qos: 0 | 1): Promise<void> {
    if (!this.connected) return Promise.reject(new DeviceClientError('NotConnected', 'The client is not connected.'));
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      this.inflight.add(fail);
      this.client.publish(topic, payload, { qos }, (error) => {
        if (!this.inflight.delete(fail)) return;
        if (error) reject(new DeviceClientError('Disconnected', `Publish failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  subscribe(filters: readonly string[], qos: 0 | 1): Promise<number[]> {
    if (!this.connected) return Promise.reject(new DeviceClientError('NotConnected', 'The client is not connected.'));
    return new Promise<number[]>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      this.inflight.add(fail);
      const map: Record<string, { qos: 0 | 1 }> = {};
      for (const filter of filters) map[filter] = { qos };
      this.client.subscribe(map, (error, granted) => {
        if (!this.inflight.delete(fail)) return;
        // MQTT.js reports a refused filter (SUBACK 128) as an error and still passes the grants.
        if (granted && granted.length === filters.length) {
          resolve(filters.map((f) => granted.find((g) => g.topic === f)?.qos ?? 128));
        } else if (error) {
          reject(new DeviceClientError('Disconnected', `Subscribe failed: ${error.message}`, { cause: error }));
        } else {
          resolve(filters.map(() => 128));
        }
      });
    });
  }

  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.client.end(false, {}, () => resolve()));
  }

  destroy(): void {
    if (this.closed) return;
    this.client.end(true);
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new DeviceClientError('Disconnected', 'The connection closed.', { cause: this.lastError });
    for (const fail of this.inflight) fail(error);
    this.inflight.clear();
    this.client.removeAllListeners('message');
    this.client.on('error', () => undefined);
    this.closeHandler(this.lastError);
  }
}

const secureContexts = new Map<string, SecureContext>();

/**
 * One TLS context per trusted CA, shared by every connection: passing `ca` to each connection would parse
 * the PEM and build a new context per device (measurable at a few thousand devices).
 */
function secureContextFor(ca: string | Buffer): SecureContext {
  const key = typeof ca === 'string' ? ca : ca.toString('utf8');
  let context = secureContexts.get(key);
  if (!context) {
    context = createSecureContext({ ca });
    secureContexts.set(key, context);
  }
  return context;
}

/**
 * The newest TLS session ticket per URL. A hub's ticket is not tied to a device (devices prove who they are
 * in CONNECT, after TLS), so every device of a process may resume the same session: a resumed handshake
 * skips the certificate and key exchange work that dominates connect time.
 */
const tlsSessions = new Map<string, Buffer>();

/**
 * Opens the TLS socket under a WebSocket (what `ws` does itself), offering `session`, so a wss connection
 * can resume a session like an mqtts one. Handed to `ws` as `createConnection`.
 */
function connectTlsForWebSocket(options: ClientRequestArgs, session: Buffer | undefined): TLSSocket {
  const o = options as ConnectionOptions & ClientRequestArgs;
  const host = o.host ?? undefined;
  const servername = o.servername ?? (host === undefined || isIP(host) ? '' : host);
  return tlsConnect({ ...o, host, path: undefined, servername, ...(session ? { session } : {}) } as ConnectionOptions);
}

/** The MQTT.js connector: MQTT 3.1.1, no automatic reconnect or resubscribe (the device client does both). */
export const connectWithMqttJs: MqttConnector = (params) =>
  new Promise<MqttConnection>((resolve, reject) => {
    // `lookup` reaches tls.connect (mqtts) and the WebSocket's https request (wss); MQTT.js drops it for plain mqtt.
    const options: IClientOptions & { lookup: LookupFunction; secureContext?: SecureContext } = {
      lookup: cachedLookup as LookupFunction,
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: params.clientId,
      username: params.username,
      password: params.password,
      clean: params.cleanSession,
      keepalive: params.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: params.connectTimeoutMs,
      resubscribe: false,
      queueQoSZero: false,
      reschedulePings: false,
      rejectUnauthorized: params.rejectUnauthorized,
      ...(params.localAddress === undefined ? {} : { localAddress: params.localAddress }),
    };
    const secureContext = params.ca === undefined ? undefined : secureContextFor(params.ca);
    const webSocket = params.url.startsWith('wss:');
    const resume = params.resumeTlsSession === true && (webSocket || params.url.startsWith('mqtts:'));
    const session = resume ? tlsSessions.get(params.url) : undefined;
    // The TLS socket of this connection (under the WebSocket for wss): keeps the newest ticket, says whether it resumed.
    let tlsSocket: TLSSocket | undefined;
    const watchTls = (socket: TLSSocket): TLSSocket => {
      tlsSocket = socket;
      if (resume) socket.on('session', (ticket: Buffer) => tlsSessions.set(params.url, ticket));
      return socket;
    };
    if (webSocket) {
      options.wsOptions = {
        lookup: cachedLookup as LookupFunction,
        ...(secureContext ? { secureContext } : {}),
        ...(params.localAddress === undefined ? {} : { localAddress: params.localAddress }),
        ...(resume ? { createConnection: (o: ClientRequestArgs) => watchTls(connectTlsForWebSocket(o, session)) } : {}),
      };
    } else {
      if (secureContext) options.secureContext = secureContext;
      if (session) (options as IClientOptions & { session?: Buffer }).session = session;
    }
    let client: MqttClient;
    try {
      client = mqttConnect(params.url, options);
    } catch (error) {
      reject(new DeviceClientError('ConnectFailed', `Could not connect: ${String(error)}`, { cause: error }));
      return;
    }
    const stream: unknown = client.stream;
    if (stream instanceof TLSSocket) watchTls(stream);
    let lastError: Error | undefined;
    const onError = (error: Error): void => {
      lastError = error;
    };
    const onClose = (): void => {
      cleanup();
      client.on('error', () => undefined);
      reject(toConnectError(lastError));
    };
    const onConnect = (): void => {
      cleanup();
      resolve(new MqttJsConnection(client, tlsSocket?.isSessionReused() === true));
    };
    const cleanup = (): void => {
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      client.removeListener('connect', onConnect);
    };
    client.on('error', onError);
    client.on('close', onClose);
    client.on('connect', onConnect);
  });
