import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Aedes, Client, PublishPacket } from 'aedes';
import { formatTimestamp, identityKey, topics } from '@hubemu/shared';
import type { HubCore } from '../core.js';
import type { DeviceLink } from '../device-link.js';
import type { TwinUpdatedEvent } from '../events.js';
import type { Verdict } from '../faults/admission.js';
import { createBroker } from './broker.js';
import { C2dPush } from './c2d-push.js';
import { DeviceRouter } from './device-router.js';
import { closeIfNotReading, DeviceSessions, type Session } from './device-sessions.js';

/** The MQTT device plane: the broker, its sessions and the device-facing rules, around the core. */
export interface MqttPlane {
  /** Serves one MQTT connection (a TLS socket, a plain socket or a WebSocket stream). */
  handle: (stream: Duplex, req?: IncomingMessage) => void;
  /** Identities connected right now. */
  connected(): string[];
  /** The topic filters a connected identity is subscribed to; empty when offline. */
  subscriptions(key: string): string[];
  /** Closes every connection (reset) and resolves with how many there were. */
  disconnectAll(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Builds the MQTT plane (reference 1) over the core: authenticates CONNECTs, routes what devices
 * publish, answers twin requests only to devices subscribed to them, pushes desired notifications to
 * subscribed devices whatever wrote the change, and registers itself as the core's link to MQTT devices.
 */
export async function createMqttPlane(core: HubCore): Promise<MqttPlane> {
  const { events, clock, logger } = core;
  const sessions = new DeviceSessions((key) => core.links.changed(key));
  /** The last request of each connection still waiting on the admission seam (a delay or a throttle). */
  const delayed = new WeakMap<Session, Promise<void>>();

  /** What the hub pushes on its own (a desired notification, a method request) is a `request` event too, `direction: 'out'`. */
  const recordPush = (session: Session, operation: string, topic: string, payload: string, requestId?: string): void => {
    if (events.listenerCount('request') === 0) return;
    events.emit('request', {
      plane: 'mqtt',
      direction: 'out',
      deviceId: session.deviceId,
      ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }),
      operation,
      topic,
      payload,
      status: 200,
      ...(requestId === undefined ? {} : { requestId }),
      requestBytes: Buffer.byteLength(payload),
      responseBytes: 0,
      durationMs: 0,
      at: formatTimestamp(clock.now()),
    });
  };

  /** Sends one QoS 0 packet to one session. */
  const send = (session: Session, topic: string, payload: string | Buffer): void => {
    if (session.client.closed) return;
    if (closeIfNotReading(session, logger)) return;
    session.client.publish(
      { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain: false, dup: false },
      (error) => {
        if (error) logger.debug({ deviceId: session.deviceId, topic, err: error.message }, 'delivery failed');
      },
    );
  };

  // Like the real hub, a device that has not subscribed to $iothub/twin/res/# gets no answers (its requests are still carried out).
  const sendTwinResponse = (session: Session, topic: string, payload: string | Buffer): void => {
    if (sessions.isSubscribed(session.key, 'twinResponses')) send(session, topic, payload);
  };
  const c2d = new C2dPush(core.c2d, logger, (session, topic, payload, requestId) => recordPush(session, 'c2d.deliver', topic, payload, requestId));
  const { admission } = core;
  const router = new DeviceRouter(
    core.twins,
    core.methods,
    events,
    sendTwinResponse,
    clock,
    logger,
    (session, refresh) => core.table.presence.activity(session.deviceId, session.moduleId, refresh),
    admission,
    core.store,
    (message) => core.acceptTelemetry(message),
  );
  /** What the admission seam says about a push to an identity (a desired notification, a method call); undefined: deliver it. */
  const admitPush = (operation: 'twin.desired' | 'method.invoke', session: Session): Verdict | undefined =>
    admission.idle ? undefined : admission.admit({ operation, deviceId: session.deviceId, ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }) });

  // Desired notifications, whatever wrote the change (reference 1.6): only to a connected, subscribed device.
  const sendDesired = (session: Session, version: number, body: string): void => {
    const topic = topics.desiredPatch(version);
    recordPush(session, 'twin.desiredNotification', topic, body);
    send(session, topic, body);
  };
  /** A held or late notification goes to whichever subscribed connection the identity has by then (none: lost, as offline devices miss them). */
  const deliverLater = (key: string, version: number, body: string) => (): void => {
    const session = sessions.get(key);
    if (session && sessions.isSubscribed(key, 'desiredPatches')) sendDesired(session, version, body);
  };
  const notifyDesired = (event: TwinUpdatedEvent): void => {
    if (event.desired === undefined) return;
    const key = identityKey(event.deviceId, event.moduleId);
    const session = sessions.get(key);
    if (!session || !sessions.isSubscribed(key, 'desiredPatches')) return;
    const body = JSON.stringify({ ...event.desired, $version: event.desiredVersion });
    const verdict = admitPush('twin.desired', session);
    if (!verdict) return sendDesired(session, event.desiredVersion, body);
    if (verdict.act === 'pause') verdict.hold(deliverLater(key, event.desiredVersion, body));
    else if (verdict.act === 'delay') clock.after(verdict.ms, deliverLater(key, event.desiredVersion, body));
    else if (verdict.act === 'disconnect') session.client.close();
  };
  events.on('twinUpdated', notifyDesired);

  const { broker, handle } = await createBroker({
    hostName: core.options.hostName,
    auth: core.auth,
    sessions,
    events,
    clock,
    logger,
    connectTimeoutMs: core.options.timeouts.mqttConnectMs,
    accept: (session: Session, packet: PublishPacket) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const publish = { topic: packet.topic, payload, retain: packet.retain };
      // A delayed request holds back the ones after it on the same connection, so each device's requests keep their order.
      const waiting = delayed.get(session);
      const pending = waiting ? waiting.then(() => router.route(session, publish)) : router.route(session, publish);
      if (!pending) return undefined;
      delayed.set(session, pending);
      const forget = (): void => void (delayed.get(session) === pending && delayed.delete(session));
      return pending.finally(forget);
    },
    admit: (request) => admission.admit(request),
    onConnected: (session, modelId) => {
      if (modelId !== undefined) core.registry.recordModelId(session.deviceId, session.moduleId, modelId);
      // A persistent session (CleanSession=0) that last connected to another process of a cluster keeps its subscriptions:
      // Microsoft's SDK subscribes once and counts on them (docs/scale-out.md).
      const carried = core.store.replicated && session.client.clean === false ? (core.table.presence.get(session.key).filters ?? []) : [];
      for (const filter of carried) sessions.granted(session.client, filter);
      core.table.presence.connected(session.deviceId, session.moduleId, carried);
      logger.info({ deviceId: session.deviceId, moduleId: session.moduleId, transport: session.transport }, 'device connected');
      events.emit('deviceConnected', { deviceId: session.deviceId, ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }), transport: session.transport });
    },
    onDisconnected: (session) => {
      core.table.presence.disconnected(session.deviceId, session.moduleId);
      core.methods.onDisconnect(session.key);
      logger.info({ deviceId: session.deviceId, moduleId: session.moduleId }, 'device disconnected');
      events.emit('deviceDisconnected', { deviceId: session.deviceId, ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }), reason: 'closed' });
    },
    onPuback: (session, messageId) => c2d.acked(session, messageId),
  });
  if (core.store.replicated) {
    const keepFilters = (client: Client): void => {
      const session = sessions.ofClient(client);
      if (session && client.clean === false) core.table.presence.subscribed(session.key, sessions.filters(session.key));
    };
    broker.on('subscribe', (_subscriptions, client) => keepFilters(client));
    broker.on('unsubscribe', (_filters, client) => keepFilters(client));
  }

  const link: DeviceLink = {
    isConnected: (key) => sessions.get(key) !== undefined,
    canReceive: (key, channel) => sessions.isSubscribed(key, channel),
    connected: () => [...sessions.all()].map((s) => s.key),
    deliverMethod(key, request) {
      const session = sessions.get(key);
      if (!session) return;
      const topic = topics.methodRequest(request.methodName, request.rid);
      const deliver = (): void => {
        recordPush(session, 'method.request', topic, request.payload, request.rid);
        send(session, topic, request.payload);
      };
      const verdict = admitPush('method.invoke', session);
      if (!verdict) return deliver();
      if (verdict.act === 'fail') throw verdict.error;
      if (verdict.act === 'delay') clock.after(verdict.ms, deliver);
      else if (verdict.act === 'disconnect') session.client.close();
      // timeout: never delivered; the caller gets 504 GatewayTimeout when its response timeout ends.
    },
    deliverC2d(key, delivery) {
      const session = sessions.get(key);
      return session !== undefined && c2d.deliver(session, delivery);
    },
    disconnect(key) {
      const session = sessions.get(key);
      if (!session) return false;
      session.client.close();
      return true;
    },
  };
  core.links.register(link);

  return {
    handle,
    connected: () => [...link.connected()],
    subscriptions: (key) => sessions.filters(key),
    disconnectAll: async () => {
      const open = [...sessions.all()];
      await Promise.all(open.map((s) => new Promise<void>((resolve) => s.client.close(() => resolve()))));
      return open.length;
    },
    async close() {
      events.off('twinUpdated', notifyDesired);
      await closeBroker(broker);
    },
  };
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise<void>((resolve) => broker.close(() => resolve()));
}
