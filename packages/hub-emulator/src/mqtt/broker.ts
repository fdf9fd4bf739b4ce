import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { classifySubscription, formatTimestamp, HubError, identityKey, isHubError, isHubTopic, mayDevicePublish, type Clock } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { HubEvents, MqttTrafficRecord } from '../events.js';
import type { Logger } from '../logger.js';
import type { DeviceTable } from '../registry/device-table.js';
import type { RingBuffer } from '../ring-buffer.js';
import { parseConnectIdentity } from './connect-identity.js';
import type { DeviceRouter } from './device-router.js';
import type { DeviceSessions, Session } from './device-sessions.js';

/** Largest PUBLISH the hub accepts (D2C limit, 256 KB); larger ones close the connection like the real hub. */
const MAX_PUBLISH_BYTES = 256 * 1024;

/** Longest delay a Node timer takes (about 24.8 days); a token that lives longer is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface BrokerDeps {
  hostName: string;
  auth: SasAuthenticator;
  table: DeviceTable;
  sessions: DeviceSessions;
  events: HubEvents;
  traffic: RingBuffer<MqttTrafficRecord>;
  clock: Clock;
  logger: Logger;
  /** Set after construction: the router needs the send function this module makes. */
  router: () => DeviceRouter;
  onConnected: (session: Session) => void;
  onDisconnected: (session: Session) => void;
}

/** CONNACK return codes the hub sends: 3 server unavailable (its store refuses writes), 4 bad credentials, 5 not authorized. */
function authError(message: string, code: 3 | 4 | 5 = 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/** Where a connection came from, for events and logs. */
function transportOf(client: Client): string {
  if (client.req) return 'mqtt-ws';
  const conn = client.conn as { encrypted?: boolean };
  return conn.encrypted ? 'mqtts' : 'mqtt';
}

/** The broker, the connection handler the listeners call, and the one way the hub sends to a device. */
export interface DeviceBroker {
  broker: Aedes;
  /** Serves one MQTT connection (a TLS socket, a plain socket or a WebSocket stream). */
  handle: (stream: Duplex, req?: IncomingMessage) => void;
  /** Sends one QoS 0 packet to one session. */
  send: (session: Session, topic: string, payload: string | Buffer) => void;
}

/**
 * The aedes broker with IoT Hub's rules (reference 1): SAS-authenticated CONNECT, one connection per
 * identity, only the documented topics, QoS 2 refused. Responses and notifications go straight to the
 * one client they belong to (`client.publish`), so no device ever sees another's traffic and no
 * publish fans out across thousands of subscribers.
 */
export async function createBroker(deps: BrokerDeps): Promise<DeviceBroker> {
  const { sessions, events, clock, logger } = deps;

  const record = (session: Session, direction: 'in' | 'out', topic: string, payload: Buffer | string): void => {
    const listening = events.listenerCount('mqttTraffic') > 0;
    if (deps.traffic.capacity <= 0 && !listening) return;
    const entry: MqttTrafficRecord = {
      deviceId: session.deviceId,
      ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }),
      direction,
      topic,
      payload: typeof payload === 'string' ? payload : payload.toString('utf8'),
      at: formatTimestamp(clock.now()),
    };
    if (deps.traffic.capacity > 0) deps.traffic.push(entry);
    if (listening) events.emit('mqttTraffic', entry);
  };

  const send = (session: Session, topic: string, payload: string | Buffer): void => {
    if (session.client.closed) return;
    record(session, 'out', topic, payload);
    session.client.publish(
      { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain: false, dup: false },
      (error) => {
        if (error) logger.debug({ deviceId: session.deviceId, topic, err: error.message }, 'delivery failed');
      },
    );
  };

  const detach = (client: Client): void => {
    const session = sessions.detach(client);
    if (session) deps.onDisconnected(session);
  };

  /** The hub closes a connection when its SAS token expires (reference 1.3); the device reconnects with a new one. */
  const closeOnExpiry = (client: Client, expiryMs: number): void => {
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const left = expiryMs - clock.now();
      if (left <= 0) {
        logger.info({ clientId: client.id }, 'token expired; closing the connection');
        client.close();
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    client.conn.once('close', () => clearTimeout(timer));
  };

  /** Handles what a device published, before aedes acknowledges it: an acknowledged write is a stored write. */
  const accept = (session: Session, packet: PublishPacket): void => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    record(session, 'in', packet.topic, payload);
    deps.table.presence.activity(session.deviceId, session.moduleId);
    deps.router().route(session, { topic: packet.topic, payload, retain: packet.retain });
  };

  const broker = await Aedes.createBroker({
    concurrency: 1000,
    authenticate(client, username, password, done) {
      try {
        const identity = parseConnectIdentity(client.id, username, deps.hostName);
        if (!password) throw new HubError('IotHubUnauthorized', 'A SharedAccessSignature password is required.');
        const { entry, expiresAtMs } = deps.auth.authenticateDevice(password.toString('utf8'), identity.deviceId, identity.moduleId);
        const device = deps.table.get(identity.deviceId);
        if (device?.status === 'disabled') throw new HubError('IotHubUnauthorized', `Device '${identity.deviceId}' is disabled.`);
        if (identity.modelId !== undefined && identity.modelId !== entry.modelId) {
          deps.table.put(identityKey(identity.deviceId, identity.moduleId), { ...entry, modelId: identity.modelId });
        }
        // The session is live from here: the device may send requests as soon as it reads CONNACK.
        sessions.bind(client, identity.deviceId, identity.moduleId, transportOf(client));
        const session = sessions.activate(client) as Session;
        deps.onConnected(session);
        client.conn.once('close', () => detach(client));
        closeOnExpiry(client, expiresAtMs);
        done(null, true);
      } catch (thrown) {
        const message = thrown instanceof Error ? thrown.message : String(thrown);
        // The store refusing a write (disk full, log lost) is the server's trouble, not the device's credentials.
        const unavailable = isHubError(thrown) && thrown.errorCode === 'ServiceUnavailable';
        logger.info({ clientId: client.id, reason: message }, 'connection refused');
        events.emit('requestRejected', { plane: 'mqtt', code: unavailable ? 'ServiceUnavailable' : 'IotHubUnauthorized', message: `${client.id}: ${message}` });
        done(authError(message, unavailable ? 3 : 5), false);
      }
    },
    authorizePublish(client, packet, callback) {
      const session = client && sessions.ofClient(client);
      if (!session) return callback(new Error('Not connected.'));
      if (packet.qos === 2) return callback(new Error('QoS 2 is not supported; the hub closes the connection.'));
      if (packet.payload.length > MAX_PUBLISH_BYTES) return callback(new Error('The message is larger than 256 KB.'));
      if (!mayDevicePublish(packet.topic, session.deviceId, session.moduleId)) {
        return callback(new Error(`Publishing to '${packet.topic}' is not allowed for ${session.key}.`));
      }
      // aedes writes a QoS 1 PUBACK as soon as this returns, so the request is carried out here, first,
      // in packet order (design rule 5 routes from the `published` hook; aedes 1.2 acknowledges before it).
      try {
        accept(session, packet);
      } catch (thrown) {
        logger.error({ deviceId: session.deviceId, topic: packet.topic, err: thrown instanceof Error ? thrown.message : String(thrown) }, 'request failed');
      }
      // RETAIN is not kept (reference 1.5): telemetry carries an mqtt-retain property instead, and
      // aedes must not store the packet (each property bag is its own topic: memory would only grow).
      packet.retain = false;
      return callback(null);
    },
    authorizeSubscribe(client, subscription, callback) {
      const session = sessions.ofClient(client);
      const kind = session && classifySubscription(subscription.topic, session.deviceId, session.moduleId);
      if (!session || !kind) {
        logger.debug({ clientId: client.id, topic: subscription.topic }, 'subscription refused');
        return callback(null, null);
      }
      sessions.granted(client, subscription.topic);
      return callback(null, subscription);
    },
    authorizeForward(client, packet) {
      // Only the hub's own deliveries reach devices; what one identity publishes is never forwarded to another (or back).
      return sessions.ofClient(client) && isHubTopic(packet.topic) ? packet : null;
    },
  });

  const handle = (stream: Duplex, req?: IncomingMessage): void => {
    const client = broker.handle(stream, req as IncomingMessage);
    // A SUBSCRIBE asking for QoS 2 is granted QoS 1 (reference 1.5). aedes answers SUBACK with the QoS
    // asked for, so the request is lowered as it is parsed, before aedes sees it.
    const parser = (client as unknown as { _parser?: { prependListener(event: 'packet', listener: (packet: { cmd: string; subscriptions?: Array<{ qos: number }> }) => void): void } })._parser;
    if (!parser) {
      logger.warn({ clientId: client.id }, 'this aedes version has no client._parser: SUBSCRIBE QoS 2 is granted as asked');
      return;
    }
    parser.prependListener('packet', (packet) => {
      if (packet.cmd !== 'subscribe' || !packet.subscriptions) return;
      for (const subscription of packet.subscriptions) if (subscription.qos > 1) subscription.qos = 1;
    });
  };

  broker.on('subscribe', (_subs, client) => sessions.subscribed(client));
  broker.on('unsubscribe', (filters, client) => sessions.revoked(client, filters));
  broker.on('clientDisconnect', (client) => detach(client));
  broker.on('clientError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'client error'));
  broker.on('connectionError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'connection error'));

  return { broker, handle, send };
}
