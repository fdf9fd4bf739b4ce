import { Option, type Command } from 'commander';
import { eventHubConnectionString } from '@hubemu/shared';
import { parsePort } from '../options.js';
import { parseLogin, policyKey, serviceConnectionString } from './messaging-args.js';
import { printResult, type OutputFormat } from './output-format.js';
import { report, withServiceOptions } from './service-command.js';

interface ShowFlags {
  login?: string;
  policyName?: string;
  keyType: 'primary' | 'secondary';
  defaultEventhub?: boolean;
  amqpPort: number;
  output: OutputFormat;
}

/** What `hub connection-string show` prints, as az does: `{ connectionString }`. */
export function hubConnectionString(flags: Omit<ShowFlags, 'output'>): { connectionString: string } {
  const login = parseLogin(flags.login);
  const policyName = flags.policyName ?? login.policyName;
  const key = policyKey(login, policyName, flags.keyType);
  const service = serviceConnectionString(login.host, policyName, key, login.port);
  return { connectionString: flags.defaultEventhub ? eventHubConnectionString(service, flags.amqpPort) : service };
}

/**
 * `hubemu hub connection-string show`, named after `az iot hub connection-string show`: the hub's
 * connection string for a shared access policy, or with `--default-eventhub` the connection string of
 * its Event Hub-compatible endpoint (`Endpoint=sb://...;EntityPath={hub name}`) for Event Hubs clients.
 * It is worked out from `--login` and hubemu's well-known dev keys; nothing is asked of the hub.
 * Returns the `hub` command, so other files add theirs (`consumer-group`).
 */
export function registerHub(program: Command): Command {
  const hub = program.command('hub').description('The hub itself.');
  const connectionString = hub.command('connection-string').description("The hub's connection strings.");
  withServiceOptions(
    connectionString
      .command('show')
      .description("Show the hub's connection string for a shared access policy, or of its Event Hub-compatible endpoint (--default-eventhub).")
      .option('--pn, --policy-name <name>', "the shared access policy (default: --login's); another policy's key is hubemu's well-known dev key")
      .addOption(new Option('--kt, --key-type <type>', 'primary or secondary').choices(['primary', 'secondary']).default('primary'))
      .option('--eh, --default-eventhub', 'the Event Hub-compatible endpoint\'s connection string (Endpoint=sb://...;EntityPath=...)')
      .option('--amqp-port <port>', "the hub's AMQP port, for --default-eventhub (hubemu start --amqp-port)", parsePort, 5671),
  ).action((flags: ShowFlags) => {
    try {
      printResult(hubConnectionString(flags), flags.output);
    } catch (error) {
      process.exitCode = report(error);
    }
  });
  return hub;
}
