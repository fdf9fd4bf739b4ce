import { parseConnectionString } from '@hubemu/shared';
import { z } from 'zod';
import { DeviceClientError } from '../errors.js';

export const TransportSchema = z.enum(['mqtts', 'wss', 'mqtt']);
/** `mqtts` (TLS, 8883), `wss` (MQTT over WebSockets, 443, `/$iothub/websocket`) or plain `mqtt` (tools only). */
export type Transport = z.infer<typeof TransportSchema>;

export const DEFAULT_PORTS: Readonly<Record<Transport, number>> = { mqtts: 8883, wss: 443, mqtt: 1883 };

export const ReconnectOptionsSchema = z.object({
  enabled: z.boolean().default(true),
  /** First retry delay; doubles per failed attempt up to maxDelayMs. */
  initialDelayMs: z.number().int().min(0).default(1_000),
  maxDelayMs: z.number().int().min(0).default(30_000),
  /** Random spread of each delay, as a fraction (0.2 = ±20%), so a fleet does not reconnect in lockstep. */
  jitter: z.number().min(0).max(1).default(0.2),
});
export type ReconnectOptions = z.input<typeof ReconnectOptionsSchema>;

/** The plain-data options of a DeviceClient, validated once at the edge. */
export const DeviceClientConfigSchema = z.object({
  /** `HostName=...;DeviceId=...;SharedAccessKey=...[;ModuleId=...]` (explicit fields below override it). */
  connectionString: z.string().min(1).optional(),
  /** The IoT Hub host name used in the SAS `sr` and the MQTT username (may include `:port`). */
  hostName: z.string().min(1).optional(),
  deviceId: z.string().min(1).optional(),
  moduleId: z.string().min(1).optional(),
  /** The device's (or module's) symmetric key, or a policy key when sharedAccessKeyName is set. */
  sharedAccessKey: z.string().min(1).optional(),
  /** Sign with a shared access policy (e.g. `device`, `iothubowner`) instead of the device key: adds `skn`. */
  sharedAccessKeyName: z.string().min(1).optional(),
  /** A ready-made SAS token; it is never renewed. */
  sharedAccessSignature: z.string().min(1).optional(),
  /** Network host to connect to, when it differs from hostName (GatewayHostName in a connection string). */
  host: z.string().min(1).optional(),
  transport: TransportSchema.default('mqtts'),
  /** Network port; default: the port in hostName, else 8883 / 443 / 1883 by transport. */
  port: z.number().int().min(1).max(65_535).optional(),
  /**
   * The local (source) address of the connection (mqtts and wss), e.g. `127.0.0.2`: one source address reaches
   * one destination port through about 28,000 ephemeral ports, so a large fleet spreads over several.
   */
  localAddress: z.string().min(1).optional(),
  /** Resume the TLS session of an earlier connection of this process to the same hub (mqtts, wss), when the hub allows. */
  resumeTlsSession: z.boolean().default(false),
  /** PEM certificate(s) to trust, e.g. the hub's `<data-dir>/certs/ca.pem`. */
  ca: z.union([z.string(), z.instanceof(Buffer)]).optional(),
  rejectUnauthorized: z.boolean().default(true),
  tokenLifetimeSeconds: z.number().int().min(10).default(3_600),
  /** Renew the token (by reconnecting) this long before it expires, as Node's SDK does; 0 turns renewal off. */
  tokenRenewalMarginSeconds: z.number().int().min(0).default(900),
  keepaliveSeconds: z.number().int().min(0).max(1_767).default(180),
  cleanSession: z.boolean().default(false),
  connectTimeoutMs: z.number().int().min(1).default(30_000),
  /** Default time allowed for a twin request's response. */
  requestTimeoutMs: z.number().int().min(1).default(30_000),
  reconnect: z.union([z.boolean(), ReconnectOptionsSchema]).default(true),
  /** Appended to the `DeviceClientType` user agent in the username. */
  productInfo: z.string().optional(),
  /** A Plug and Play model id: sent as `&model-id=` in the username. */
  modelId: z.string().min(1).optional(),
  /** Status answered to a method request no handler takes; null: do not answer (the call times out). */
  unhandledMethodStatus: z.number().int().nullable().default(404),
});
export type DeviceClientConfig = z.input<typeof DeviceClientConfigSchema>;

export type Credential = { kind: 'key'; key: string; keyName?: string } | { kind: 'token'; token: string };

/** Everything a client needs, resolved from the options and the connection string. */
export interface ResolvedClientConfig {
  hostName: string;
  deviceId: string;
  moduleId: string | undefined;
  credential: Credential;
  connectHost: string;
  port: number;
  transport: Transport;
  ca: string | Buffer | undefined;
  localAddress: string | undefined;
  resumeTlsSession: boolean;
  rejectUnauthorized: boolean;
  tokenLifetimeSeconds: number;
  tokenRenewalMarginSeconds: number;
  keepaliveSeconds: number;
  cleanSession: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  reconnect: z.output<typeof ReconnectOptionsSchema>;
  productInfo: string;
  modelId: string | undefined;
  unhandledMethodStatus: number | null;
}

function invalid(message: string): DeviceClientError {
  return new DeviceClientError('InvalidArgument', message);
}

/** Splits `host[:port]` (the port is only split off when it is all digits). */
export function splitHostPort(hostName: string): { host: string; port: number | undefined } {
  const m = /^(.*):(\d{1,5})$/.exec(hostName);
  return m ? { host: m[1] as string, port: Number(m[2]) } : { host: hostName, port: undefined };
}

export function resolveClientConfig(input: DeviceClientConfig): ResolvedClientConfig {
  const parsed = DeviceClientConfigSchema.safeParse(input);
  if (!parsed.success) throw invalid(`Invalid device client options: ${z.prettifyError(parsed.error)}`);
  const o = parsed.data;
  let cs: Record<string, string> = {};
  if (o.connectionString !== undefined) {
    try {
      cs = parseConnectionString(o.connectionString);
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error));
    }
  }
  const hostName = o.hostName ?? cs.HostName;
  const deviceId = o.deviceId ?? cs.DeviceId;
  const moduleId = o.moduleId ?? cs.ModuleId;
  if (!hostName) throw invalid('A host name is required (HostName= in the connection string, or hostName).');
  if (!deviceId) throw invalid('A device id is required (DeviceId= in the connection string, or deviceId).');
  const token = o.sharedAccessSignature ?? cs.SharedAccessSignature;
  const key = o.sharedAccessKey ?? cs.SharedAccessKey;
  const keyName = o.sharedAccessKeyName ?? cs.SharedAccessKeyName;
  let credential: Credential;
  if (token) credential = { kind: 'token', token };
  else if (key) credential = keyName ? { kind: 'key', key, keyName } : { kind: 'key', key };
  else throw invalid('A credential is required: SharedAccessKey or SharedAccessSignature.');
  const split = splitHostPort(o.host ?? cs.GatewayHostName ?? hostName);
  const reconnect = ReconnectOptionsSchema.parse(typeof o.reconnect === 'boolean' ? { enabled: o.reconnect } : o.reconnect);
  return {
    hostName,
    deviceId,
    moduleId,
    credential,
    connectHost: split.host,
    port: o.port ?? split.port ?? DEFAULT_PORTS[o.transport],
    transport: o.transport,
    ca: o.ca,
    localAddress: o.localAddress,
    resumeTlsSession: o.resumeTlsSession,
    rejectUnauthorized: o.rejectUnauthorized,
    tokenLifetimeSeconds: o.tokenLifetimeSeconds,
    tokenRenewalMarginSeconds: o.tokenRenewalMarginSeconds,
    keepaliveSeconds: o.keepaliveSeconds,
    cleanSession: o.cleanSession,
    connectTimeoutMs: o.connectTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    reconnect,
    productInfo: o.productInfo ?? '',
    modelId: o.modelId,
    unhandledMethodStatus: o.unhandledMethodStatus,
  };
}
