import { InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';

/** What `--properties` may name, as `az iot hub monitor-events -p` does. */
export const PROPERTY_KINDS = ['sys', 'app', 'anno', 'all'] as const;
export type PropertyKind = (typeof PROPERTY_KINDS)[number];

/** `-p sys app`, `-p sys -p app` or `-p "sys app"`: every value may hold several, space-separated. */
export function parsePropertyKinds(value: string, previous: PropertyKind[] = []): PropertyKind[] {
  const kinds = [...previous];
  for (const word of value.split(/[\s,]+/).filter((w) => w !== '')) {
    const kind = PROPERTY_KINDS.find((k) => k === word.toLowerCase());
    if (!kind) throw new InvalidArgumentError(`'${word}' is not a property kind (${PROPERTY_KINDS.join(', ')}).`);
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

/** An event as AMQP delivered it (the SDK's `getRawAmqpMessage()`), the body still bytes. */
export interface RawEvent {
  body: unknown;
  properties?: Record<string, unknown> | undefined;
  messageAnnotations?: Record<string, unknown> | undefined;
  applicationProperties?: Record<string, unknown> | undefined;
}

/** What `az iot hub monitor-events` prints for one event. */
export interface MonitorEvent {
  event: {
    origin: string;
    module: string;
    interface: string;
    component: string;
    properties?: { system?: Record<string, unknown>; application?: Record<string, unknown> };
    annotations?: Record<string, unknown>;
    payload: unknown;
  };
}

/** AMQP properties-section fields as the az extension (uamqp) names them. */
const SYSTEM_NAMES: Record<string, string> = {
  messageId: 'message_id',
  userId: 'user_id',
  to: 'to',
  subject: 'subject',
  replyTo: 'reply_to',
  correlationId: 'correlation_id',
  contentType: 'content_type',
  contentEncoding: 'content_encoding',
  absoluteExpiryTime: 'absolute_expiry_time',
  creationTime: 'creation_time',
  groupId: 'group_id',
  groupSequence: 'group_sequence',
  replyToGroupId: 'reply_to_group_id',
};

/** The properties-section fields, as `@azure/event-hubs` names them in `systemProperties`. */
export const AMQP_PROPERTY_FIELDS: readonly string[] = Object.keys(SYSTEM_NAMES);

/** Bytes as `@azure/event-hubs` hands a binary `user_id` over: its date conversion copies a Buffer into `{0: .., 1: ..}`. */
function isByteRecord(value: unknown): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length > 0 && entries.every(([key, byte], i) => key === String(i) && Number.isInteger(byte) && (byte as number) >= 0 && (byte as number) < 256);
}

/** Bytes as text, dates as epoch ms, as az prints them. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (isByteRecord(value)) return Buffer.from(Object.values(value)).toString('utf8');
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function plainRecord(record: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== undefined && value !== null) out[key] = plain(value);
  return out;
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(plain(value));
}

/** The event's device and module, from the annotations the hub stamps (a device cannot forge them). */
export function identityOf(raw: RawEvent): { deviceId: string; moduleId: string } {
  const annotations = raw.messageAnnotations ?? {};
  return { deviceId: text(annotations['iothub-connection-device-id']), moduleId: text(annotations['iothub-connection-module-id']) };
}

/** `*` and `?` wildcards, as az's `--device-id` takes them. */
export function globMatcher(pattern: string | undefined): (value: string) => boolean {
  if (pattern === undefined) return () => true;
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (value) => regex.test(value);
}

/**
 * One event as `az iot hub monitor-events` shows it: origin (device), module, interface, component,
 * the properties asked for and the payload, which is the body as text, parsed when its content type
 * says JSON (as az does).
 */
export function formatMonitorEvent(raw: RawEvent, kinds: readonly PropertyKind[]): MonitorEvent {
  const all = kinds.includes('all');
  const annotations = raw.messageAnnotations ?? {};
  const system: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw.properties ?? {})) {
    if (value !== undefined && value !== null) system[SYSTEM_NAMES[key] ?? key] = plain(value);
  }
  const { deviceId, moduleId } = identityOf(raw);
  const properties: NonNullable<MonitorEvent['event']['properties']> = {};
  if (all || kinds.includes('sys')) properties.system = system;
  if (all || kinds.includes('app')) properties.application = plainRecord(raw.applicationProperties);
  // Keys in az's order: who sent it, the properties asked for, then the payload.
  const event: MonitorEvent['event'] = {
    origin: deviceId,
    module: moduleId,
    interface: text(annotations['iothub-interface-name']),
    component: text(annotations['dt-subject']),
    ...(kinds.length > 0 ? { properties } : {}),
    ...(all || kinds.includes('anno') ? { annotations: plainRecord(annotations) } : {}),
    payload: payloadOf(raw.body, text(system.content_type)),
  };
  return { event };
}

function payloadOf(body: unknown, contentType: string): unknown {
  if (!(Buffer.isBuffer(body) || body instanceof Uint8Array)) return plain(body);
  const payload = Buffer.from(body).toString('utf8');
  if (!contentType.toLowerCase().includes('application/json')) return payload;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return payload;
  }
}

/** How one event is printed: pretty JSON (`-o json`), or YAML (`-o table`), as az prints events it cannot tabulate. */
export function renderMonitorEvent(event: MonitorEvent, format: 'json' | 'table'): string {
  return format === 'json' ? `${JSON.stringify(event, null, 4)}\n` : `${stringify(event)}\n`;
}
