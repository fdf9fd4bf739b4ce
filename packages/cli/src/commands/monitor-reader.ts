import { EventHubConsumerClient, latestEventPosition, type EventPosition, type ReceivedEventData, type Subscription } from '@azure/event-hubs';
import { eventHubConnectionStringFor } from './messaging-args.js';
import { formatMonitorEvent, globMatcher, identityOf, renderMonitorEvent, type RawEvent } from './monitor-event-format.js';
import type { MonitorFlags } from './monitor-events.js';
import { EXIT, UsageError } from './service-command.js';

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
export async function monitor(flags: MonitorFlags): Promise<void> {
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

