import { z } from 'zod';
import { systemClock, type Clock } from '@hubemu/shared';
import { ConfigurationsApi } from './configurations-api.js';
import { DevicesApi } from './devices-api.js';
import { EmulatorApi } from './emulator-api.js';
import { JobsApi } from './jobs-api.js';
import { MethodsApi } from './methods-api.js';
import { ModulesApi } from './modules-api.js';
import { QueryApi } from './query-api.js';
import { parseServiceConnectionString, type ServiceCredentials } from './connection-string.js';
import { DEFAULT_API_VERSION, RestClient } from './rest-client.js';
import { TwinsApi } from './twins-api.js';

const PemSchema = z.union([z.string(), z.instanceof(Buffer)]);

/** Options of a ServiceClient, parsed once at construction. */
export const ServiceClientOptionsSchema = z.object({
  /** CA certificate(s) to trust (PEM): the hub's `ca.pem` for a local hub. */
  ca: z.union([PemSchema, z.array(PemSchema)]).optional(),
  /** `https` (default), or `http` for a hub's plain HTTP port. */
  protocol: z.enum(['https', 'http']).default('https'),
  /** Timeout of one request (direct methods wait for their own timeouts instead). */
  timeoutMs: z.number().int().positive().default(60_000),
  apiVersion: z.string().min(1).default(DEFAULT_API_VERSION),
  /** Lifetime of the SAS tokens the client signs. */
  tokenTtlSeconds: z.number().int().min(60).default(3600),
});

export type ServiceClientOptions = z.input<typeof ServiceClientOptionsSchema> & { clock?: Clock };

/**
 * A typed client of the IoT Hub service REST API, for hubemu or a real hub: device and module
 * identities, twins with etags, direct methods, queries, jobs and automatic device configurations
 * (each a small `XxxApi` class over `rest`).
 *
 * ```ts
 * const client = ServiceClient.fromConnectionString(hub.connectionString(), { ca: hub.caPem });
 * await client.devices.create('d1');
 * await client.twins.patch('d1', { properties: { desired: { interval: 5 } } });
 * await client.jobs.scheduleDeviceMethod('reboot-all', { queryCondition: '*', method: { methodName: 'reboot' } });
 * const job = await client.jobs.waitUntilFinished('reboot-all', { timeoutMs: 60_000 });
 * ```
 */
export class ServiceClient {
  /** The signed HTTP layer every API uses; use it for endpoints the client does not wrap yet. */
  readonly rest: RestClient;
  readonly devices: DevicesApi;
  readonly modules: ModulesApi;
  readonly twins: TwinsApi;
  readonly methods: MethodsApi;
  readonly query: QueryApi;
  readonly jobs: JobsApi;
  readonly configurations: ConfigurationsApi;
  /** hubemu's test controls (`/emulator/`); a real hub has none. */
  readonly emulator: EmulatorApi;

  constructor(credentials: ServiceCredentials, options: ServiceClientOptions = {}) {
    const { clock, ...rest } = options;
    const parsed = ServiceClientOptionsSchema.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`Invalid ServiceClient options: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`);
    }
    const { ca, ...settings } = parsed.data;
    this.rest = new RestClient(credentials, { ...settings, clock: clock ?? systemClock, ...(ca === undefined ? {} : { ca }) });
    this.devices = new DevicesApi(this.rest);
    this.modules = new ModulesApi(this.rest);
    this.twins = new TwinsApi(this.rest);
    this.methods = new MethodsApi(this.rest);
    this.query = new QueryApi(this.rest);
    this.jobs = new JobsApi(this.rest);
    this.configurations = new ConfigurationsApi(this.rest);
    this.emulator = new EmulatorApi(this.rest);
  }

  /** From `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`. */
  static fromConnectionString(connectionString: string, options: ServiceClientOptions = {}): ServiceClient {
    return new ServiceClient(parseServiceConnectionString(connectionString), options);
  }

  get hostName(): string {
    return this.rest.credentials.hostName;
  }

  /** Releases keep-alive sockets. */
  close(): void {
    this.rest.close();
  }
}
