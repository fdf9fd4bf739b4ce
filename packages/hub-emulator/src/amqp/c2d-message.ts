import { HubError } from '@hubemu/shared';
import type { Message } from 'rhea';
import type { C2dAck, C2dSendInput } from '../c2d/c2d-types.js';
import { bodyBytes, messageIdText } from './message-parts.js';

const ACKS: readonly C2dAck[] = ['none', 'positive', 'negative', 'full'];
const DEVICEBOUND_TO = /^\/devices\/([^/]+)\/messages\/devicebound\/?$/i;

function timeMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return undefined;
}

/**
 * A message azure-iothub's `Client.send` put on `/messages/devicebound`, as the C2D core takes it
 * (reference iothub-messaging.md §3): `to` names the device (URL-encoded), ids may be AMQP uuids,
 * the body is a data section. Throws ArgumentInvalid for a message that names no device or a bad ack.
 */
export function c2dSendInputOf(message: Message): C2dSendInput {
  const to = typeof message.to === 'string' ? DEVICEBOUND_TO.exec(message.to) : null;
  if (!to?.[1]) throw new HubError('ArgumentInvalid', `The message's 'to' must be /devices/{deviceId}/messages/devicebound, not '${String(message.to ?? '')}'.`);
  let deviceId: string;
  try {
    deviceId = decodeURIComponent(to[1]);
  } catch {
    throw new HubError('ArgumentInvalid', `The device id in '${message.to}' is not URL-encoded correctly.`);
  }
  const properties: Record<string, string> = {};
  let ack: C2dAck = 'none';
  for (const [key, value] of Object.entries(message.application_properties ?? {})) {
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    if (key.toLowerCase() === 'iothub-ack') {
      if (!ACKS.includes(text as C2dAck)) throw new HubError('ArgumentInvalid', `iothub-ack must be one of ${ACKS.join(', ')}, not '${text}'.`);
      ack = text as C2dAck;
    } else {
      properties[key] = text;
    }
  }
  const input: C2dSendInput = { deviceId, ack, properties, body: bodyBytes(message.body) };
  const messageId = messageIdText(message.message_id);
  const correlationId = messageIdText(message.correlation_id);
  const expiresAtMs = timeMs(message.absolute_expiry_time);
  if (messageId !== undefined) input.messageId = messageId;
  if (correlationId !== undefined) input.correlationId = correlationId;
  if (Buffer.isBuffer(message.user_id)) input.userId = message.user_id.toString('utf8');
  else if (typeof message.user_id === 'string') input.userId = message.user_id;
  if (expiresAtMs !== undefined && expiresAtMs > 0) input.expiresAtMs = expiresAtMs;
  if (typeof message.content_type === 'string') input.contentType = message.content_type;
  if (typeof message.content_encoding === 'string') input.contentEncoding = message.content_encoding;
  return input;
}
