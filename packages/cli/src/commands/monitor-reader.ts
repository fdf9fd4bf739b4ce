import { EventHubConsumerClient, latestEventPosition, type EventPosition, type ReceivedEventData, type Subscription } from '@azure/event-hubs';
import { eventHubConnectionStringFor } from './messaging-args.js';
import { AMQP_PROPERTY_FIELDS, formatMonitorEvent, globMatcher, identityOf, renderMonitorEvent, type RawEvent } from './monitor-event-format.js';
import type { MonitorFlags } from './monitor-events.js';
import { EXIT, UsageError } from './service-command.js';

/** The event as AMQP carried it; the SDK's own view parses bodies and merges sections. */
function rawOf(event: ReceivedEventData): RawEvent {
  const raw = event.getRawAmqpMessage();
  return {
    // The SDK's body (bytes, with skipParsingBodyAsJson); the raw one is rhea's section object.
    body: event.body,
    // The properties section from systemProperties: the raw message's leaves user_id out (core-amqp does not map it).
    properties: Object.fromEntries(AMQP_PROPERTY_FIELDS.filter((key) => event.systemProperties?.[key] !== undefined).map((key) => [key, event.systemProperties?.[key]])),
    messageAnnotations: raw.messageAnnotations,
    applicationProperties: raw.applicationProperties,
  };
}

/** An error as one line: a connection to `localhost` tries ::1 and 127.0.0.1, and fails with an AggregateError of both. */
function describe(error: unknown): { text: string; code: string } {
  const failure = error as Error & { code?: string; errors?: Array<Error & { code?: string }> };
  const parts = failure.errors?.length ? failure.errors : [failure];
  return { text: [...new Set(parts.map((e) => e.message || e.name))].join('; '), code: parts.map((e) => e.code ?? '').join(' ') };
}

/** Exit code for an error the reader reported: the hub refused (2) or could not be reached (3). */
function exitCodeOf(error: unknown): number {
  const { text, code } = describe(error);
  return /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH)\b|certificate|self[- ]signed/.test(`${code} ${text}`) ? EXIT.unreachable : EXIT.hubError;
}

/** Reads events until the timeout, Ctrl-C or an error the SDK does not retry. */
export async function monitor(flags: MonitorFlags): Promise<void> {
  const connectionString = eventHubConnectionStringFor(flags.login, flags.amqpPort);
  const matchesDevice = globMatcher(flags.deviceId);
  const matchesModule = globMatcher(flags.moduleId);
  const startPosition: EventPosition = flags.enqueuedTime === undefined ? latestEventPosition : { enqueuedOn: flags.enqueuedTime };
  let client: EventHubConsumerClient;
  try {
    // Few, quick retries: a command should say soon that the hub is not there; the subscription restarts its readers anyway.
    client = new EventHubConsumerClient(flags.consumerGroup, connectionString, { retryOptions: { maxRetries: 2, retryDelayInMs: 300, timeoutInMs: 15_000 } });
  } catch (error) {
    throw new UsageError(`The Event Hub connection string is not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
  // One question first, so a hub that is not there (or refuses the login) is an error now rather than silence.
  try {
    await client.getPartitionIds();
  } catch (error) {
    await client.close();
    process.stderr.write(`hubemu: cannot read the hub's events: ${describe(error).text}\n`);
    if (exitCodeOf(error) === EXIT.unreachable) process.stderr.write(`hubemu: is the hub running with its AMQP port at ${flags.amqpPort} (--amqp-port)?\n`);
    process.exitCode = exitCodeOf(error);
    return;
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
          const { text } = describe(error);
          // The SDK retries what can be retried and calls this each time: say it once; stop on what it will not retry.
          if (!reported.has(text)) process.stderr.write(`hubemu: ${text}\n`);
          reported.add(text);
          if ((error as { retryable?: boolean }).retryable !== true) finish(exitCodeOf(error));
        },
      },
      { startPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 1, skipParsingBodyAsJson: true },
    );
  });
  await subscription?.close();
  await client.close();
}

