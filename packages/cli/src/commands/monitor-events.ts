import { Option, type Command } from 'commander';
import { parsePort } from '../options.js';
import { trustHubCaForAmqp } from './amqp-trust.js';
import { parseEpochOrIso, parseSeconds } from './messaging-args.js';
import { parsePropertyKinds, type PropertyKind } from './monitor-event-format.js';
import { parseOutputFormat, type OutputFormat } from './output-format.js';
import { DEFAULT_DATA_DIR, report } from './service-command.js';

export interface MonitorFlags {
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
        if (!(await trustHubCaForAmqp(flags))) return;
        // @azure/event-hubs loads only for this command, so the others start fast.
        const { monitor } = await import('./monitor-reader.js');
        await monitor(flags);
      } catch (error) {
        process.exitCode = report(error);
      }
    });
}
