import { Option, type Command } from 'commander';
import { EventHubConsumerClient, latestEventPosition, type EventPosition, type ReceivedEventData, type Subscription } from '@azure/event-hubs';
import { parsePort } from '../options.js';
import { trustHubCaForAmqp } from './amqp-trust.js';
import { eventHubConnectionStringFor, parseEpochOrIso, parseSeconds } from './messaging-args.js';
import { formatMonitorEvent, globMatcher, identityOf, parsePropertyKinds, renderMonitorEvent, type PropertyKind, type RawEvent } from './monitor-event-format.js';
import { parseOutputFormat, type OutputFormat } from './output-format.js';
import { DEFAULT_DATA_DIR, EXIT, report, UsageError } from './service-command.js';

interface MonitorFlags {
  login?: string;
  ca?: string;
  dataDir?: string;
  deviceId?: string;
  moduleId?: string;
  properties: PropertyKind[];
  consumerGroup: string;
  timeout: number;
  enqueuedTime?: number;
  amqpPort: number;
  output: OutputFormat;
}

/** The event as AMQP carried it; the SDK's own view parses bodies and merges sections. */
function rawOf(event: ReceivedEventData): RawEvent {
  const raw = event.getRawAmqpMessage();
  return {
    body: raw.body,
    properties: raw.properties as Record<string, unknown> | undefined,
    messageAnnotations: raw.messageAnnotations,
    applicationProperties: raw.applicationProperties,
  };
}

/** Exit code for an error the reader reported: the hub refused (2) or could not be reached (3). */
function exitCodeOf(error: Error & { code?: string }): number {
  return /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|certificate|self.signed/i.test(`${error.code ?? ''} ${error.message}`) ? EXIT.unreachable : EXIT.hubError;
}

/** Reads events until the timeout, Ctrl-C or an error the SDK does not retry. */
async function monitor(flags: MonitorFlags): Promise<void> {
  const connectionString = eventHubConnectionStringFor(flags.login, flags.amqpPort);
  const matchesDevice = globMatcher(flags.deviceId);
  const matchesModule = globMatcher(flags.moduleId);
  const startPosition: EventPosition = flags.enqueuedTime === undefined ? latestEventPosition : { enqueuedOn: flags.enqueuedTime };
  let client: EventHubConsumerClient;
  try {
    client = new EventHubConsumerClient(flags.consumerGroup, connectionString);
  } catch (error) {
    throw new UsageError(`The Event Hub connection string is not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
  let subscription: Subscription | undefined;
  const reported = new Set<string>();
  await new Promise<void>((done) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (code?: number): void => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
      if (code !== undefined) process.exitCode = code;
      done();
    };
    const interrupt = (): void => finish();
    process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
    if (flags.timeout > 0) timer = setTimeout(() => finish(), flags.timeout * 1000);
    process.stderr.write(`Starting event monitor${flags.deviceId ? `, filtering on device: ${flags.deviceId}` : ''}, use ctrl-c to stop...\n`);
    subscription = client.subscribe(
      {
        processEvents: async (events) => {
          for (const event of events) {
            const raw = rawOf(event);
            const { deviceId, moduleId } = identityOf(raw);
            if (!matchesDevice(deviceId) || (flags.moduleId !== undefined && !matchesModule(moduleId))) continue;
            process.stdout.write(renderMonitorEvent(formatMonitorEvent(raw, flags.properties), flags.output));
          }
        },
        processError: async (error) => {
          const failure = error as Error & { code?: string; retryable?: boolean };
          // The SDK retries what can be retried and calls this each time: say it once; stop on what it will not retry.
          if (!reported.has(failure.message)) process.stderr.write(`hubemu: ${failure.message}\n`);
          reported.add(failure.message);
          if (failure.retryable !== true) finish(exitCodeOf(failure));
        },
      },
      { startPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 1, skipParsingBodyAsJson: true },
    );
  });
  await subscription?.close();
  await client.close();
}

/**
 * `hubemu monitor-events`, named after `az iot hub monitor-events`: reads the hub's Event Hubs-compatible
 * endpoint with `@azure/event-hubs` (the Event Hub connection string is made from `--login`, or
 * `--login` is one), filters by device and module, and prints each event as az does.
 */
export function registerMonitorEvents(program: Command): void {
  program
    .command('monitor-events')
    .description("Print the events devices send to the hub's Event Hubs-compatible endpoint (telemetry, and the message sources the hub was started with).")
    .addOption(new Option('-l, --login <connection-string>', "the hub's service connection string, or its Event Hub-compatible one (Endpoint=sb://...)").env('HUBEMU_CONNECTION_STRING'))
    .option('--ca <file>', "CA certificate (PEM) to trust (default: the hub's, see --data-dir)")
    .option('--data-dir <dir>', `the --data-dir the hub was started with: its certs/ca.pem is trusted (default: ${DEFAULT_DATA_DIR} here or in the nearest parent folder that has one)`)
    .option('-d, --device-id <id>', 'only events of this device (* and ? are wildcards)')
    .option('-m, --module-id <id>', 'only events of this module (* and ? are wildcards)')
    .option('-p, --properties <kinds...>', 'also print these properties: sys (system), app (application), anno (annotations), all', parsePropertyKinds, [] as PropertyKind[])
    .option('--cg, --consumer-group <name>', 'the consumer group to read as', '$Default')
    .option('-t, --timeout <seconds>', 'stop after this many seconds (0: run until ctrl-c)', parseSeconds('--timeout'), 300)
    .option('-e, --enqueued-time <time>', 'start with events enqueued after this time: milliseconds since the epoch or ISO 8601 (default: now)', parseEpochOrIso('--enqueued-time'))
    .option('--amqp-port <port>', "the hub's AMQP port (hubemu start --amqp-port)", parsePort, 5671)
    .addOption(new Option('-o, --output <format>', 'json or table (YAML, as az prints events)').default('json').argParser(parseOutputFormat))
    .action(async (flags: MonitorFlags) => {
      try {
        if (await trustHubCaForAmqp(flags)) await monitor(flags);
      } catch (error) {
        process.exitCode = report(error);
      }
    });
}
