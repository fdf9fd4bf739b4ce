import { Option, type Command } from 'commander';
import { parsePort } from '../options.js';
import { trustHubCaForAmqp } from './amqp-trust.js';
import type { SendFlags } from './c2d-send.js';
import { parseAck, parseAppProperties, parseEpochOrIso, parseSeconds } from './messaging-args.js';
import { printResult } from './output-format.js';
import { report, runServiceCommand, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

/**
 * `hubemu c2d-message send|purge`, named after `az iot device c2d-message`: send a cloud-to-device
 * message over AMQP (azure-iothub, the service SDK), or empty a device's queue over REST.
 */
export function registerC2dMessage(program: Command): void {
  const group = program.command('c2d-message').description("Cloud-to-device messages: send one, or purge a device's queue.");

  withServiceOptions(
    group
      .command('send')
      .description('Send a cloud-to-device message to a device (over AMQP, as azure-iothub does) and print its id.')
      .addOption(new Option('-d, --device-id <id>', 'the device id').makeOptionMandatory())
      .option('--da, --data <text>', 'the message body', 'Ping from hubemu')
      .option('--mid, --message-id <id>', 'the message id (default: a new UUID)')
      .option('--cid, --correlation-id <id>', 'the correlation id')
      .option('--ct, --content-type <type>', 'the content type (e.g. application/json)')
      .option('--ce, --content-encoding <encoding>', 'the content encoding (e.g. utf-8)')
      .option('--ack <kind>', 'the feedback asked for: none, positive, negative or full', parseAck)
      .option('-p, --props <pairs>', 'application properties: "key0=value0;key1=value1" (repeat the flag to add more)', parseAppProperties, {} as Record<string, string>)
      .option('-e, --expiry <time>', 'when the message expires: milliseconds since the epoch or ISO 8601 (default: the hub\'s TTL)', parseEpochOrIso('--expiry'))
      .option('-w, --wait-on-feedback', 'wait for the feedback the --ack asks for and print it')
      .option('-t, --timeout <seconds>', 'with --wait-on-feedback: give up after this many seconds (0: wait until ctrl-c)', parseSeconds('--timeout'), 0)
      .option('--amqp-port <port>', "the hub's AMQP port (hubemu start --amqp-port)", parsePort, 5671),
  ).action(async (flags: SendFlags) => {
    try {
      if (flags.waitOnFeedback && (flags.ack === undefined || flags.ack === 'none')) throw new UsageError('--wait-on-feedback needs --ack positive, negative or full.');
      if (!(await trustHubCaForAmqp(flags))) return;
      // The service SDK loads only for this command, so the others start fast.
      const { AmqpCommandError, send } = await import('./c2d-send.js');
      try {
        printResult(await send(flags), flags.output);
      } catch (error) {
        if (!(error instanceof AmqpCommandError)) throw error;
        process.stderr.write(`hubemu: ${error.message}\n`);
        process.exitCode = error.exitCode;
      }
    } catch (error) {
      process.exitCode = report(error);
    }
  });

  withServiceOptions(
    group
      .command('purge')
      .description("Remove every cloud-to-device message waiting in a device's queue and print how many there were.")
      .addOption(new Option('-d, --device-id <id>', 'the device id').makeOptionMandatory()),
  ).action((flags: ServiceFlags & { deviceId: string }) => runServiceCommand(flags, (client) => client.devices.purgeCommands(flags.deviceId)));
}
