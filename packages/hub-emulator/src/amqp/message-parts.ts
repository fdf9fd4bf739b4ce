import rhea, { type Message, type Receiver, type Sender } from 'rhea';
import type { AmqpConnectionContext } from './link-routes.js';

/** An application property as a string (the SDKs send strings; numbers are read as their text). */
export function requestProperty(message: Message, name: string): string | undefined {
  const value: unknown = message.application_properties?.[name];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : String(value);
}

interface BodySection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

function isSection(body: unknown): body is BodySection {
  return typeof body === 'object' && body !== null && 'typecode' in body && 'content' in body;
}

/** A message body as bytes: data sections (one or several), an amqp-value string or binary, else its JSON. */
export function bodyBytes(body: unknown): Buffer {
  if (isSection(body)) {
    const parts = body.multiple && Array.isArray(body.content) ? body.content : [body.content];
    return Buffer.concat(parts.map((part) => bodyBytes(part)));
  }
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** A body that should be text (a token): amqp-value string, or a data section read as UTF-8. */
export function textBody(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body === undefined || body === null) return undefined;
  const bytes = bodyBytes(body);
  return bytes.length === 0 ? undefined : bytes.toString('utf8');
}

/** An AMQP message id (string, uuid as 16 bytes, ulong) as the string the hub keeps. */
export function messageIdText(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'string') return id;
  if (Buffer.isBuffer(id) && id.length === 16) return rhea.uuid_to_string(id);
  if (Buffer.isBuffer(id)) return id.toString('utf8');
  return String(id);
}

/**
 * The link to answer a request node's request on (`$cbs`, `$management`): a sender of this connection
 * whose source is `address`, preferring the one named by `reply_to`, then one on the request's session.
 */
export function findReplyLink(conn: AmqpConnectionContext, via: Receiver, address: string, replyTo: string | undefined): Sender | undefined {
  const candidates: Sender[] = [];
  const lower = address.toLowerCase();
  conn.connection.each_sender((sender: Sender) => {
    const source = (sender as Sender & { source?: { address?: string } }).source;
    if (source?.address?.toLowerCase() === lower && !sender.is_closed()) candidates.push(sender);
  });
  return candidates.find((s) => replyTo !== undefined && s.name === replyTo) ?? candidates.find((s) => s.session === via.session) ?? candidates[0];
}
