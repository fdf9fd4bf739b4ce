import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { classifySubscription, formatTimestamp, HubError, identityKey, type Clock } from '@hubemu/shared';
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

function authError(message: string, code: 4 | 5 = 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/** Where a connection came from, for events and logs. */
function transportOf(client: Client): string {
  if (client.req) return 'mqtt-ws';
  const conn = client.conn as { encrypted?: boolean };
  return conn.encrypted ? 'mqtts' : 'mqtt';
}

/**
 * The aedes broker with IoT Hub's rules (reference 1): SAS-authenticated CONNECT, one connection per
 * identity, only the documented topics, QoS 2 refused. Responses and notifications go straight to the
 * one client they belong to (`client.publish`), so no device ever sees another's traffic and no
 * publish fans out across thousands of subscribers.
 */
export async function createBroker(deps: BrokerDeps): Promise<{ broker: Aedes; send: (session: Session, topic: string, payload: string | Buffer) => void }> {
  const { sessions, events, clock, logger } = deps;

  const record = (session: Session, direction: 'in' | 'out', topic: string, payload: Buffer | string): void => {
    if (deps.traffic.capacity <= 0) return;
    deps.traffic.push({
      deviceId: session.deviceId,
      ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }),
      direction,
      topic,
      payload: typeof payload === 'string' ? payload : payload.toString('utf8'),
      at: formatTimestamp(clock.now()),
    });
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

  const broker = await Aedes.createBroker({
    concurrency: 1000,
    authenticate(client, username, password, done) {
      try {
        const identity = parseConnectIdentity(client.id, username, deps.hostName);
        if (!password) throw new HubError('IotHubUnauthorized', 'A SharedAccessSignature password is required.');
        const entry = deps.auth.authenticateDevice(password.toString('utf8'), identity.deviceId, identity.moduleId);
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
        done(null, true);
      } catch (thrown) {
        const message = thrown instanceof Error ? thrown.message : String(thrown);
        logger.info({ clientId: client.id, reason: message }, 'connection refused');
        events.emit('requestRejected', { plane: 'mqtt', code: 'IotHubUnauthorized', message: `${client.id}: ${message}` });
        done(authError(message), false);
      }
    },
    authorizePublish(client, packet, callback) {
      const session = client && sessions.ofClient(client);
      if (!session) return callback(new Error('Not connected.'));
      if (packet.qos === 2) return callback(new Error('QoS 2 is not supported; the hub closes the connection.'));
      if (packet.payload.length > MAX_PUBLISH_BYTES) return callback(new Error('The message is larger than 256 KB.'));
      const topic = packet.topic;
      if (topic.startsWith('$iothub/twin/GET/') || topic.startsWith('$iothub/twin/PATCH/properties/reported/') || topic.startsWith('$iothub/methods/res/')) {
        return callback(null);
      }
      const own = session.moduleId === undefined ? `devices/${session.deviceId}/messages/events` : `devices/${session.deviceId}/modules/${session.moduleId}/messages/events`;
      if (topic === own || topic.startsWith(`${own}/`)) {
        // RETAIN is not kept: the message is forwarded with an mqtt-retain property instead (reference 1.5).
        return callback(null);
      }
      return callback(new Error(`Publishing to '${topic}' is not allowed for ${session.key}.`));
    },
    authorizeSubscribe(client, subscription, callback) {
      const session = sessions.ofClient(client);
      const kind = session && classifySubscription(subscription.topic, session.deviceId, session.moduleId);
      if (!session || !kind) {
        logger.debug({ clientId: client.id, topic: subscription.topic }, 'subscription refused');
        return callback(null, null);
      }
      return callback(null, { ...subscription, qos: subscription.qos > 1 ? 1 : subscription.qos });
    },
    authorizeForward(client, packet) {
      // Only the hub's own direct deliveries reach devices; nothing published by one device is forwarded to another.
      return sessions.ofClient(client) ? packet : null;
    },
    published(packet, client, callback) {
      callback();
      if (!client) return; // the broker's own publishes
      const session = sessions.ofClient(client);
      if (!session) return;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      record(session, 'in', packet.topic, payload);
      deps.table.presence.activity(session.deviceId, session.moduleId);
      const route = { topic: packet.topic, payload, retain: packet.retain };
      setImmediate(() => deps.router().route(session, route));
    },
  });

  broker.on('subscribe', (_subs, client) => sessions.subscribed(client));
  broker.on('clientDisconnect', (client) => detach(client));
  broker.on('clientError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'client error'));
  broker.on('connectionError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'connection error'));

  return { broker, send };
}
