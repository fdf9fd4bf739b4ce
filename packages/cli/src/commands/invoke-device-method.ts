import { Option, type Command } from 'commander';
import { MethodRequestSchema } from '@hubemu/shared';
import { rangeOf, schemaFlag } from '../options.js';
import { parseJsonArgument, runServiceCommand, withServiceOptions, type ServiceFlags } from './service-command.js';

interface InvokeFlags extends ServiceFlags {
  deviceId: string;
  moduleId?: string;
  methodName: string;
  methodPayload: string;
  timeout: number;
  methodConnectTimeout: number;
}

/** The ranges of the method request the hub parses (shared), so the flags refuse what it would. */
const METHOD = MethodRequestSchema.shape;

/** `hubemu invoke-device-method`, named after `az iot hub invoke-device-method`. */
export function registerInvokeDeviceMethod(program: Command): void {
  withServiceOptions(
    program
      .command('invoke-device-method')
      .description('Invoke a direct method on a connected device (or module) and print its {status, payload}.')
      .addOption(new Option('-d, --device-id <id>', 'the device id').makeOptionMandatory())
      .addOption(new Option('-m, --module-id <id>', 'invoke the method on this module of the device'))
      .addOption(new Option('--mn, --method-name <name>', 'the method to invoke').makeOptionMandatory())
      .option('--mp, --method-payload <json>', 'the payload (JSON, or a file holding it)', 'null')
      .option('--to, --timeout <seconds>', `how long the hub waits for the answer (${rangeOf(METHOD.responseTimeoutInSeconds)})`, schemaFlag('--timeout', METHOD.responseTimeoutInSeconds), 30)
      .option(
        '--mct, --method-connect-timeout <seconds>',
        `how long the hub waits for the device to come online (${rangeOf(METHOD.connectTimeoutInSeconds)})`,
        schemaFlag('--method-connect-timeout', METHOD.connectTimeoutInSeconds),
        0,
      ),
  ).action((flags: InvokeFlags) =>
    runServiceCommand(flags, (client) =>
      client.methods.invoke(
        flags.deviceId,
        {
          methodName: flags.methodName,
          payload: parseJsonArgument('--method-payload', flags.methodPayload),
          responseTimeoutInSeconds: flags.timeout,
          connectTimeoutInSeconds: flags.methodConnectTimeout,
        },
        flags.moduleId === undefined ? {} : { moduleId: flags.moduleId },
      ),
    ),
  );
}
