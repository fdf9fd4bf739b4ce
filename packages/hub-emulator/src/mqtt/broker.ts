import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { brokerSafeC2dFilter, classifySubscription, formatTimestamp, HubError, isHubError, isHubTopic, mayDevicePublish, parseConnectIdentity, type HubClock, type Logger } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { HubEvents } from '../events.js';
import type { AdmissionRequest, Verdict } from '../faults/admission.js';
import type { DeviceSessions, Session, SessionStamp } from './device-sessions.js';
import { MAX_PUBLISH_BYTES, packetLimit } from './packet-limits.js';
import { PacketSizeGuard } from './packet-size-guard.js';

export interface BrokerDeps {
  hostName: string;
  auth: SasAuthenticator;
  sessions: DeviceSessions;
  events: HubEvents;
  clock: HubClock;
  logger: Logger;
  /** A connection that has not sent CONNECT this long after its transport is up is closed. */
  connectTimeoutMs: number;
  /** Carries out what a device published, before aedes acknowledges it (when the promise settles, if it returns one). */
  accept: (session: Session, packet: PublishPacket) => void | Promise<void>;
  /** The admission seam: faults and throttles on CONNECT. */
  admit: (request: AdmissionRequest) => Verdict | undefined;
  /** The identity is live (before CONNACK); `modelId` is what its username announced. */
  onConnected: (session: Session, modelId: string | undefined) => void;
  onDisconnected: (session: Session) => void;
  /** The device acknowledged a QoS 1 PUBLISH the hub sent it (a C2D message). */
  onPuback: (session: Session, messageId: number) => void;
}

/** CONNACK return codes the hub sends: 3 server unavailable (its store refuses writes), 4 bad credentials, 5 not authorized. */
function authError(message: string, code: 3 | 4 | 5 = 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/** The part of aedes' per-client parser (mqtt-packet) the hub hooks into. */
interface MqttParser {
  parse(chunk: Buffer): number;
  prependListener(
    event: 'packet',
    listener: (packet: { cmd: string; messageId?: number; subscriptions?: Array<{ topic: string; qos: number }>; unsubscriptions?: string[] }) => void,
  ): void;
}

/** Where a connection came from, for events and logs. */
function transportOf(client: Client): string {
  if (client.req) return 'mqtt-ws';
  const conn = client.conn as { encrypted?: boolean };
  return conn.encrypted ? 'mqtts' : 'mqtt';
}

/** The broker and the connection handler the listeners call. */
export interface DeviceBroker {
  broker: Aedes;
  /** Serves one MQTT connection (a TLS socket, a plain socket or a WebSocket stream). */
  handle: (stream: Duplex, req?: IncomingMessage) => void;
}

/**
 * The aedes broker with IoT Hub's rules (reference 1): SAS-authenticated CONNECT, one connection per
 * identity, only the documented topics, QoS 2 refused. Responses and notifications go straight to the
 * one client they belong to (`client.publish`), so no device ever sees another's traffic and no
 * publish fans out across thousands of subscribers.
 */
export async function createBroker(deps: BrokerDeps): Promise<DeviceBroker> {
  const { sessions, events, clock, logger } = deps;

  const detach = (client: Client): void => {
    const session = sessions.detach(client);
    if (session) deps.onDisconnected(session);
  };

  /** The hub closes a connection when its SAS token expires (reference 1.3); the device reconnects with a new one. */
  const closeOnExpiry = (client: Client, expiryMs: number): void => {
    const timer = clock.at(expiryMs, () => {
      logger.info({ clientId: client.id }, 'token expired; closing the connection');
      client.close();
    });
    client.conn.once('close', () => timer.cancel());
  };

  const broker = await Aedes.createBroker({
    concurrency: 1000,
    connectTimeout: deps.connectTimeoutMs,
    authenticate(client, username, password, done) {
      const started = performance.now();
      const connectEvent = (status: number, identity?: { deviceId: string; moduleId?: string }, error?: HubError, fault?: string): void => {
        events.emit('request', {
          plane: 'mqtt',
          operation: 'connect',
          ...(identity ? { deviceId: identity.deviceId, ...(identity.moduleId === undefined ? {} : { moduleId: identity.moduleId }), principal: client.id } : {}),
          status,
          ...(error ? { errorCode: error.errorCode, message: `${client.id}: ${error.message}` } : {}),
          requestBytes: (username?.length ?? 0) + (password?.length ?? 0),
          responseBytes: 0,
          durationMs: performance.now() - started,
          at: formatTimestamp(clock.now()),
          ...(fault === undefined ? {} : { fault }),
        });
      };
      const refuse = (thrown: unknown, fault?: string): void => {
        // The store refusing a write (disk full, log lost), a throttle or an injected 5xx is the server's trouble, not the device's credentials: CONNACK 3.
        const serverSide = isHubError(thrown) && (thrown.status >= 500 || thrown.status === 429);
        const error = serverSide || (isHubError(thrown) && fault !== undefined) ? thrown : new HubError('IotHubUnauthorized', thrown instanceof Error ? thrown.message : String(thrown));
        logger.info({ clientId: client.id, reason: error.message }, 'connection refused');
        connectEvent(error.status, undefined, error, fault);
        done(authError(error.message, serverSide ? 3 : 5), false);
      };
      let identity: ReturnType<typeof parseConnectIdentity>;
      let expiresAtMs: number;
      let stamp: SessionStamp;
      try {
        identity = parseConnectIdentity(client.id, username, deps.hostName);
        if (!password) throw new HubError('IotHubUnauthorized', 'A SharedAccessSignature password is required.');
        const verified = deps.auth.authenticateDevice(password.toString('utf8'), identity.deviceId, identity.moduleId);
        expiresAtMs = verified.expiresAtMs;
        // The model id stamped on telemetry is the one this connection announced (dt-dataschema), else the registry's.
        const modelId = identity.modelId ?? verified.entry.modelId;
        stamp = { auth: { scope: verified.scope, type: 'sas' }, generationId: verified.entry.generationId, ...(modelId ? { modelId } : {}) };
      } catch (thrown) {
        return refuse(thrown);
      }
      const accept = (fault?: string): void => {
        try {
          // The session is live from here: the device may send requests as soon as it reads CONNACK.
          sessions.bind(client, identity.deviceId, identity.moduleId, transportOf(client), stamp);
          const session = sessions.activate(client) as Session;
          deps.onConnected(session, identity.modelId);
          client.conn.once('close', () => detach(client));
          closeOnExpiry(client, expiresAtMs);
          connectEvent(200, identity, undefined, fault);
          done(null, true);
        } catch (thrown) {
          refuse(thrown, fault);
        }
      };
      const verdict = deps.admit({ operation: 'connect', deviceId: identity.deviceId, ...(identity.moduleId === undefined ? {} : { moduleId: identity.moduleId }) });
      if (!verdict) return accept();
      switch (verdict.act) {
        case 'delay':
          return void clock.after(verdict.ms, () => (client.conn.destroyed ? undefined : accept(verdict.faultId)));
        case 'fail':
          return refuse(verdict.error, verdict.faultId);
        case 'refuse':
          return refuse(new HubError('ServiceUnavailable', 'The server is unavailable.'), verdict.faultId);
        default:
          // drop: no CONNACK, ever; the device's own timeout ends the attempt.
          return connectEvent(0, identity, undefined, verdict.faultId);
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
      // aedes writes a QoS 1 PUBACK as soon as this calls back, so the request is carried out here, first,
      // in packet order (design rule 5 routes from the `published` hook; aedes 1.2 acknowledges before it).
      // A request the admission seam delays is carried out (and acknowledged) when its wait is over.
      const failed = (thrown: unknown): void =>
        logger.error({ deviceId: session.deviceId, topic: packet.topic, err: thrown instanceof Error ? thrown.message : String(thrown) }, 'request failed');
      // RETAIN is not kept (reference 1.5): telemetry carries an mqtt-retain property instead, and
      // aedes must not store the packet (each property bag is its own topic: memory would only grow).
      const acknowledge = (): void => {
        // A publish whose handling closed the connection (a failed telemetry send, a disconnect fault) is not
        // acknowledged: aedes would still write the PUBACK into the closing socket, and the device would take it as sent.
        if (client.closed) return callback(new Error('The hub closed the connection; the publish is not acknowledged.'));
        packet.retain = false;
        callback(null);
      };
      let pending: Promise<void> | void = undefined;
      try {
        pending = deps.accept(session, packet);
      } catch (thrown) {
        failed(thrown);
      }
      if (!pending) return acknowledge();
      pending.catch(failed).finally(acknowledge);
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
    const parser = (client as unknown as { _parser?: MqttParser })._parser;
    if (!parser) {
      logger.warn({ clientId: client.id }, 'this aedes version has no client._parser: packet size limits are not applied and SUBSCRIBE QoS 2 is granted as asked');
      return;
    }
    // Every chunk passes the size guard before the parser buffers it: a packet declaring more than its
    // limit (smaller until the connection has authenticated) closes the connection as soon as its
    // fixed header arrives (a 256 MB CONNECT is never read).
    const guard = new PacketSizeGuard(() => packetLimit(sessions.ofClient(client) !== undefined));
    const parse = parser.parse.bind(parser);
    parser.parse = (chunk) => {
      const over = guard.check(chunk);
      if (!over) return parse(chunk);
      const session = sessions.ofClient(client);
      const error = new HubError('MessageTooLarge', `The ${over.type.toUpperCase()} packet declares ${over.length} bytes or more; the limit is ${over.limit}.`);
      logger.info({ clientId: client.id, reason: error.message }, 'connection closed');
      events.emit('request', {
        plane: 'mqtt',
        operation: over.type,
        ...(session ? { deviceId: session.deviceId, ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }), principal: session.key } : {}),
        status: error.status,
        errorCode: error.errorCode,
        message: client.id ? `${client.id}: ${error.message}` : error.message,
        requestBytes: over.length,
        responseBytes: 0,
        durationMs: 0,
        at: formatTimestamp(clock.now()),
      });
      stream.destroy();
      return 0;
    };
    // A SUBSCRIBE asking for QoS 2 is granted QoS 1 (reference 1.5). aedes answers SUBACK with the QoS
    // asked for, so the request is lowered as it is parsed, before aedes sees it.
    // A C2D filter whose device id holds `+` or `#` is one MQTT forbids: the broker keeps it %-escaped
    // (brokerSafeC2dFilter), in SUBSCRIBE and UNSUBSCRIBE alike; the hub never matches on it.
    parser.prependListener('packet', (packet) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const session = sessions.ofClient(client);
        if (session) deps.onPuback(session, packet.messageId);
        return;
      }
      if (packet.cmd === 'unsubscribe' && packet.unsubscriptions) packet.unsubscriptions = packet.unsubscriptions.map(brokerSafeC2dFilter);
      if (packet.cmd !== 'subscribe' || !packet.subscriptions) return;
      for (const subscription of packet.subscriptions) {
        if (subscription.qos > 1) subscription.qos = 1;
        subscription.topic = brokerSafeC2dFilter(subscription.topic);
      }
    });
  };

  broker.on('subscribe', (_subs, client) => sessions.subscribed(client));
  // Subscriptions a CleanSession=0 device had are restored before CONNACK without a 'subscribe' event:
  // once the connection is ready, what waits for them (C2D) may go.
  broker.on('clientReady', (client) => sessions.subscribed(client));
  broker.on('unsubscribe', (filters, client) => sessions.revoked(client, filters));
  broker.on('clientDisconnect', (client) => detach(client));
  broker.on('clientError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'client error'));
  broker.on('connectionError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'connection error'));

  return { broker, handle };
}
