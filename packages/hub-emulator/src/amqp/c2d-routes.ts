import { HubError, toHubError, type HubClock, type Logger } from '@hubemu/shared';
import rhea, { type Delivery, type Message } from 'rhea';
import type { C2dSendSide, FeedbackBatch } from '../c2d/c2d-types.js';
import type { Admission } from '../faults/admission.js';
import { amqpErrorOf } from './amqp-errors.js';
import type { AmqpRequests } from './amqp-request.js';
import { c2dSendInputOf } from './c2d-message.js';
import { CreditGate } from './credit-gate.js';
import type { LinkRoute } from './link-routes.js';
import { bodyBytes } from './message-parts.js';

export const FEEDBACK_CONTENT_TYPE = 'application/vnd.microsoft.iothub.feedback.json';
const FEEDBACK_ADDRESS = '/messages/serviceBound/feedback';
const DEVICEBOUND_ADDRESS = '/messages/devicebound';

export interface C2dRouteDeps {
  c2d: C2dSendSide | undefined;
  admission: Pick<Admission, 'idle' | 'admit'>;
  requests: AmqpRequests;
  clock: HubClock;
  logger: Logger;
  /** The hub name (first label of the host name): feedback's `user_id`. */
  hubName: string;
}

function unavailable(): HubError {
  return new HubError('NotFound', 'Cloud-to-device messaging is not available on this hub.');
}

/** The AMQP message of one feedback batch (reference §5): unsettled, data-section JSON, the C# SDK's content type and annotation. */
export function feedbackMessage(batch: FeedbackBatch, hubName: string): Message {
  return {
    message_id: batch.messageId,
    // rhea's typings say string; the field is AMQP binary and a Buffer encodes as such.
    user_id: Buffer.from(hubName, 'utf8') as unknown as string,
    content_type: FEEDBACK_CONTENT_TYPE,
    message_annotations: { 'iothub-enqueuedtime': new Date(batch.enqueuedAtMs) },
    body: rhea.message.data_section(Buffer.from(JSON.stringify(batch.records), 'utf8')),
  };
}

/**
 * The service side of C2D (reference §3, §5): `/messages/devicebound` takes `Client.send`'s messages
 * (each settled explicitly: accepted, or rejected with the condition azure-iothub maps back to the
 * error), and `/messages/serviceBound/feedback` hands out feedback batches within the reader's credit.
 */
export function c2dRoutes(deps: C2dRouteDeps): LinkRoute[] {
  const { admission, requests, clock, logger, hubName } = deps;

  const send = (message: Message, delivery: Delivery | undefined, principal: string | undefined): void => {
    const done = requests.start();
    const requestBytes = bodyBytes(message.body).length;
    const settle = (error: HubError | undefined, fault?: string, deviceId?: string): void => {
      if (error) delivery?.reject(amqpErrorOf(error));
      else delivery?.accept();
      done({ operation: 'c2d.send', address: DEVICEBOUND_ADDRESS, ...(deviceId ? { deviceId } : {}), ...(principal ? { principal } : {}), ...(error ? { error } : {}), requestBytes, ...(fault ? { fault } : {}) });
    };
    const c2d = deps.c2d;
    let input: ReturnType<typeof c2dSendInputOf>;
    try {
      if (!c2d) throw unavailable();
      input = c2dSendInputOf(message);
    } catch (thrown) {
      settle(toHubError(thrown));
      return;
    }
    const failed = (thrown: unknown, fault?: string): void => {
      const error = toHubError(thrown);
      if (error.errorCode === 'ServerError') logger.error({ deviceId: input.deviceId, err: error.info }, 'C2D send failed');
      settle(error, fault, input.deviceId);
    };
    const carryOut = (fault?: string): void => {
      try {
        const sent = c2d.send(input);
        // On a store shared by hub processes the sender is answered once the message is committed.
        if (sent instanceof Promise) sent.then(() => settle(undefined, fault, input.deviceId), (thrown: unknown) => failed(thrown, fault));
        else settle(undefined, fault, input.deviceId);
      } catch (thrown) {
        failed(thrown, fault);
      }
    };
    const verdict = admission.idle ? undefined : admission.admit({ operation: 'c2d.send', deviceId: input.deviceId, bytes: requestBytes });
    if (!verdict) return carryOut();
    if (verdict.act === 'fail') return settle(verdict.error, verdict.faultId, input.deviceId);
    if (verdict.act === 'delay') {
      clock.after(verdict.ms, () => carryOut(verdict.faultId));
      return;
    }
    // drop: never settled (the SDK's send() waits, as with a service that never answers).
    done({ operation: 'c2d.send', address: DEVICEBOUND_ADDRESS, deviceId: input.deviceId, ...(principal ? { principal } : {}), status: 0, requestBytes, fault: verdict.faultId });
  };

  return [
    {
      name: 'c2d.send',
      role: 'receiver',
      pattern: /^\/messages\/devicebound$/i,
      auth: { resource: () => 'messages/devicebound', permission: 'ServiceConnect' },
      open({ link, grant }) {
        link.on('message', (context) => send(context.message, context.delivery, grant?.principal));
      },
    },
    {
      name: 'c2d.feedback',
      role: 'sender',
      pattern: /^\/messages\/servicebound\/feedback$/i,
      auth: { resource: () => 'messages/servicebound/feedback', permission: 'ServiceConnect' },
      open({ link, grant }) {
        const c2d = deps.c2d;
        if (!c2d) throw unavailable();
        const queue = c2d.feedback;
        // Batches sent on this link and not settled yet: given back to the queue when the link goes.
        const inFlight = new Map<Delivery, string>();
        const gate = new CreditGate(link);
        const pump = (): void => {
          while (gate.available() > 0) {
            const batch = queue.take();
            if (!batch) return;
            const message = feedbackMessage(batch, hubName);
            const delivery = link.send(message);
            gate.sent(delivery);
            inFlight.set(delivery, batch.lockToken);
            requests.emit({ operation: 'feedback.send', direction: 'out', address: FEEDBACK_ADDRESS, ...(grant ? { principal: grant.principal } : {}), requestId: batch.messageId, responseBytes: bodyBytes(message.body).length });
          }
        };
        const settled = (how: 'complete' | 'abandon' | 'reject') => (context: { delivery?: Delivery }) => {
          const delivery = context.delivery;
          const lockToken = delivery && inFlight.get(delivery);
          if (!delivery || lockToken === undefined) return;
          inFlight.delete(delivery);
          let error: HubError | undefined;
          try {
            queue[how](lockToken);
          } catch (thrown) {
            error = toHubError(thrown);
          }
          requests.emit({ operation: `feedback.${how}`, address: FEEDBACK_ADDRESS, ...(grant ? { principal: grant.principal } : {}), ...(error ? { error } : {}) });
          pump();
        };
        link.on('sendable', pump);
        link.on('accepted', settled('complete'));
        link.on('released', settled('abandon'));
        link.on('modified', settled('abandon'));
        link.on('rejected', settled('reject'));
        const unsubscribe = queue.onAvailable(pump);
        return () => {
          unsubscribe();
          for (const lockToken of inFlight.values()) {
            try {
              queue.abandon(lockToken);
            } catch {
              // Its lock already ran out: the queue offers it again by itself.
            }
          }
          inFlight.clear();
        };
      },
    },
  ];
}

