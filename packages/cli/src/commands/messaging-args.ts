import { InvalidArgumentError } from 'commander';
import { eventHubConnectionString, parseConnectionString, WELL_KNOWN_POLICIES } from '@hubemu/shared';
import { UsageError } from './service-command.js';

/** `--ack`: the feedback a C2D sender asks for (`iothub-ack`); az offers positive, negative and full, `none` is the service's default. */
export const ACK_VALUES = ['none', 'positive', 'negative', 'full'] as const;
export type Ack = (typeof ACK_VALUES)[number];

export function parseAck(value: string): Ack {
  const ack = ACK_VALUES.find((a) => a === value.toLowerCase());
  if (!ack) throw new InvalidArgumentError(`'${value}' is not an ack (${ACK_VALUES.join(', ')}).`);
  return ack;
}

/** `--props "key0=value0;key1=value1"`, as az takes them (repeat the flag to add more). */
export function parseAppProperties(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const properties = { ...previous };
  for (const pair of value.split(';')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`'${pair}' is not key=value (separate pairs with ;).`);
    properties[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return properties;
}

/** A point in time: milliseconds since the epoch (as az's `--expiry` and `--enqueued-time` take it) or an ISO 8601 time. */
export function parseEpochOrIso(flag: string): (value: string) => number {
  return (value: string) => {
    if (/^\d+$/.test(value)) return Number(value);
    const ms = /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${flag} must be milliseconds since the epoch or an ISO 8601 time (2026-01-31T12:00:00Z).`);
    return ms;
  };
}

/** A seconds flag where 0 means "no limit". */
export function parseSeconds(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a whole number of seconds (0: no limit).`);
    return Number(value);
  };
}

/** The parts of a service connection string the messaging commands need. */
export interface ServiceLogin {
  /** The host name without a port. */
  host: string;
  /** The port `HostName` named (the hub's HTTPS port), if any. */
  port?: number;
  policyName: string;
  key: string;
}

export function parseLogin(login: string | undefined): ServiceLogin {
  if (!login) throw new UsageError("No hub to talk to: pass --login '<service connection string>' or set HUBEMU_CONNECTION_STRING (hubemu start prints the owner's).");
  let fields: Record<string, string>;
  try {
    fields = parseConnectionString(login);
  } catch (error) {
    throw new UsageError(`--login: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { HostName, SharedAccessKeyName, SharedAccessKey } = fields;
  if (!HostName || !SharedAccessKeyName || !SharedAccessKey) throw new UsageError('--login must be a service connection string: HostName=...;SharedAccessKeyName=...;SharedAccessKey=...');
  const port = /:(\d+)$/.exec(HostName)?.[1];
  return { host: HostName.replace(/:\d+$/, ''), ...(port === undefined ? {} : { port: Number(port) }), policyName: SharedAccessKeyName, key: SharedAccessKey };
}

/**
 * A policy's key: the login's own, or a well-known dev policy's (hubemu's fixed keys, docs/README).
 * The hub does not hand keys out over its API, so a policy a seed defined is known only from its login.
 */
export function policyKey(login: ServiceLogin, policyName: string, keyType: 'primary' | 'secondary'): string {
  const known = WELL_KNOWN_POLICIES.find((p) => p.name.toLowerCase() === policyName.toLowerCase());
  if (policyName.toLowerCase() === login.policyName.toLowerCase()) {
    if (known && (login.key === known.primaryKey || login.key === known.secondaryKey)) return keyType === 'primary' ? known.primaryKey : known.secondaryKey;
    if (keyType === 'primary') return login.key;
    throw new UsageError(`The ${keyType} key of '${policyName}' is not known here: log in with it.`);
  }
  if (!known) throw new UsageError(`The key of '${policyName}' is not known here: log in with that policy (--login), or name one of ${WELL_KNOWN_POLICIES.map((p) => p.name).join(', ')}.`);
  return keyType === 'primary' ? known.primaryKey : known.secondaryKey;
}

/** The hub's service connection string for a policy and key: `HostName={host}[:port];SharedAccessKeyName=...;SharedAccessKey=...`. */
export function serviceConnectionString(host: string, policyName: string, key: string, port?: number): string {
  return `HostName=${host}${port === undefined ? '' : `:${port}`};SharedAccessKeyName=${policyName};SharedAccessKey=${key}`;
}

/** The Event Hub-compatible connection string to read the hub's events with, for a login (or the login itself when it is one). */
export function eventHubConnectionStringFor(login: string | undefined, amqpPort: number): string {
  if (login !== undefined && /^\s*Endpoint=/i.test(login)) return login;
  const parsed = parseLogin(login);
  return eventHubConnectionString(serviceConnectionString(parsed.host, parsed.policyName, parsed.key), amqpPort);
}
