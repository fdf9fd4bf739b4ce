import mqttPacket from 'mqtt-packet';
import { c2dTopic, isHubError, type Logger } from '@hubemu/shared';
import type { C2dService } from '../c2d/c2d-service.js';
import type { C2dLockedMessage } from '../c2d/c2d-types.js';
import { closeIfNotReading, type Session } from './device-sessions.js';

const MAX_TRACKED_IDS = 1024;

/** Packet ids the hub has in flight on one connection, each with the lock of the message it carries. */
interface InFlight {
  nextId: number;
  locks: Map<number, string>;
}

/**
 * C2D over MQTT (reference messaging §6): each message goes to the device's own session at QoS 1 on
 * `devices/{id}/messages/devicebound/{bag}`; its PUBACK completes it; when the connection ends, what
 * was not acknowledged goes back to the queue (not counted as a delivery). Several messages may be in
 * flight at once (whether the service pipelines is UNCERTAIN; Node's SDK handles it).
 *
 * The PUBLISH is written to the socket here, not through aedes: `client.publish` gives the packet an id
 * we cannot see (so the PUBACK could not be matched), and for a CleanSession=0 client it keeps the
 * packet in aedes' outgoing store and resends it on reconnect, beside the hub's queue doing the same;
 * aedes' `deliverQoS` with our own id refuses a CleanSession=0 client's packet it did not store. The
 * device's PUBACK reaches us from the broker's parser hook (`onPuback`); aedes finds nothing of its own
 * to clear for it.
 */
export class C2dPush {
  private readonly inFlight = new WeakMap<Session, InFlight>();

  constructor(
    private readonly c2d: Pick<C2dService, 'complete' | 'release'>,
    private readonly logger: Logger,
    /** Emits the `request` event of a push (`c2d.deliver`, `direction: 'out'`). */
    private readonly record: (session: Session, topic: string, payload: string, requestId?: string) => void,
  ) {}

  /** Sends a locked message; false when the connection is gone or does not read (the service returns the message). */
  deliver(session: Session, delivery: C2dLockedMessage): boolean {
    const { client } = session;
    if (client.closed || !client.connected || session.moduleId !== undefined) return false;
    if (closeIfNotReading(session, this.logger)) return false;
    const { message } = delivery;
    const topic = c2dTopic(session.deviceId, {
      ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
      to: `/devices/${encodeURIComponent(session.deviceId)}/messages/devicebound`,
      ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
      ...(message.senderSetExpiry ? { expiryTimeUtc: new Date(message.expiresAtMs).toISOString() } : {}),
      ...(message.userId === undefined ? {} : { userId: message.userId }),
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      ...(message.contentEncoding === undefined ? {} : { contentEncoding: message.contentEncoding }),
      ack: message.ack,
      properties: message.properties,
    });
    const state = this.state(session);
    const messageId = this.allocate(state);
    state.locks.set(messageId, delivery.lockToken);
    this.record(session, topic, message.body.toString('utf8'), message.messageId);
    client.conn.write(mqttPacket.generate({ cmd: 'publish', topic, payload: message.body, qos: 1, messageId, retain: false, dup: false }));
    return true;
  }

  /** The device's PUBACK: the message it carried is completed (a lock that ran out meanwhile is lost: the message went out again). */
  acked(session: Session, messageId: number): void {
    const state = this.inFlight.get(session);
    const lockToken = state?.locks.get(messageId);
    if (!state || lockToken === undefined) return;
    state.locks.delete(messageId);
    try {
      this.c2d.complete(session.deviceId, lockToken);
    } catch (error) {
      if (!isHubError(error)) throw error;
      this.logger.debug({ deviceId: session.deviceId, messageId, code: error.errorCode }, 'late C2D acknowledgement');
    }
  }

  private state(session: Session): InFlight {
    let state = this.inFlight.get(session);
    if (!state) {
      const created: InFlight = { nextId: 1, locks: new Map() };
      state = created;
      this.inFlight.set(session, created);
      session.client.conn.once('close', () => {
        for (const lockToken of created.locks.values()) this.c2d.release(session.deviceId, lockToken);
        created.locks.clear();
      });
    }
    return state;
  }

  /** The next packet id (1–65535) not in flight on this connection. */
  private allocate(state: InFlight): number {
    // A device that never acknowledges gets its messages again each minute: forget the oldest ids (their locks are long gone).
    while (state.locks.size >= MAX_TRACKED_IDS) state.locks.delete(state.locks.keys().next().value as number);
    for (;;) {
      const id = state.nextId;
      state.nextId = id >= 65535 ? 1 : id + 1;
      if (!state.locks.has(id)) return id;
    }
  }
}
