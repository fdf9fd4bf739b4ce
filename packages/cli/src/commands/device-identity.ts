import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DeviceInput } from '@hubemu/backend';
import { integerFlag } from '../options.js';
import { runServiceCommand, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

interface CreateFlags extends ServiceFlags {
  deviceId: string;
  edgeEnabled?: boolean;
  status?: 'enabled' | 'disabled';
  statusReason?: string;
  primaryKey?: string;
  secondaryKey?: string;
  authMethod: 'shared_private_key';
}

/** az's `--am` values. hubemu's CLI creates SAS identities only, and says so for the others. */
const AUTH_METHODS = ['shared_private_key', 'x509_thumbprint', 'x509_ca'];

function authMethodFlag(value: string): 'shared_private_key' {
  if (value === 'shared_private_key') return value;
  if (AUTH_METHODS.includes(value)) {
    throw new InvalidArgumentError(`${value} is not supported: hubemu creates devices with SAS keys only (shared_private_key, the default).`);
  }
  throw new InvalidArgumentError(`Allowed choices are ${AUTH_METHODS.join(', ')} (only shared_private_key is supported).`);
}

interface DeviceFlags extends ServiceFlags {
  deviceId: string;
}

interface DeleteFlags extends DeviceFlags {
  etag?: string;
}

interface ConnectionStringFlags extends DeviceFlags {
  keyType: 'primary' | 'secondary';
  hostName?: string;
}

const deviceIdOption = (): Option => new Option('-d, --device-id <id>', 'the device id').makeOptionMandatory();

/**
 * `hubemu device-identity create|show|list|delete|connection-string show`, named after
 * `az iot hub device-identity`.
 */
export function registerDeviceIdentity(program: Command): void {
  const group = program.command('device-identity').description('Manage device identities in the hub registry.');

  withServiceOptions(
    group
      .command('create')
      .description('Create a device (SAS keys are generated unless given).')
      .addOption(deviceIdOption())
      .option('--ee, --edge-enabled', 'mark the device as an IoT Edge device')
      .addOption(new Option('--status <status>', 'enabled or disabled').choices(['enabled', 'disabled']))
      .option('--status-reason <text>', 'why the device has this status')
      .option('--pk, --primary-key <key>', 'primary symmetric key (base64); generated when absent')
      .option('--sk, --secondary-key <key>', 'secondary symmetric key (base64); generated when absent')
      .addOption(
        new Option('--am, --auth-method <method>', 'how the device authenticates: shared_private_key (SAS keys) is the one supported')
          .argParser(authMethodFlag)
          .default('shared_private_key'),
      ),
  ).action((flags: CreateFlags) =>
    runServiceCommand(flags, (client) => {
      const input: DeviceInput = {
        authentication: { type: 'sas', symmetricKey: { primaryKey: flags.primaryKey ?? '', secondaryKey: flags.secondaryKey ?? '' } },
        ...(flags.status ? { status: flags.status } : {}),
        ...(flags.statusReason ? { statusReason: flags.statusReason } : {}),
        ...(flags.edgeEnabled ? { capabilities: { iotEdge: true } } : {}),
      };
      return client.devices.create(flags.deviceId, input);
    }),
  );

  withServiceOptions(group.command('show').description('Show a device identity.').addOption(deviceIdOption())).action((flags: DeviceFlags) =>
    runServiceCommand(flags, (client) => client.devices.get(flags.deviceId)),
  );

  withServiceOptions(
    group
      .command('list')
      .description('List device identities.')
      .option('--top <n>', 'at most this many devices (1-1000)', integerFlag('--top', 1, 1000)),
  ).action((flags: ServiceFlags & { top?: number }) => runServiceCommand(flags, (client) => client.devices.list(flags.top === undefined ? {} : { top: flags.top })));

  withServiceOptions(
    group
      .command('delete')
      .description('Delete a device and its modules.')
      .addOption(deviceIdOption())
      .option('-e, --etag <etag>', 'delete only if the identity still has this etag'),
  ).action((flags: DeleteFlags) =>
    runServiceCommand(flags, async (client) => {
      await client.devices.delete(flags.deviceId, flags.etag === undefined ? {} : { etag: flags.etag });
      return undefined;
    }),
  );

  const connectionString = group.command('connection-string').description("A device's connection string.");
  withServiceOptions(
    connectionString
      .command('show')
      .description('Show the connection string a device uses to connect.')
      .addOption(deviceIdOption())
      .addOption(new Option('--kt, --key-type <type>', 'which key to put in it').choices(['primary', 'secondary']).default('primary'))
      .option('--host-name <host>', "HostName to write (default: the login's; give host:port when the hub's MQTT port is not 8883)"),
  ).action((flags: ConnectionStringFlags) =>
    runServiceCommand(flags, async (client) => {
      const device = await client.devices.get(flags.deviceId);
      const key = flags.keyType === 'secondary' ? device.authentication.symmetricKey.secondaryKey : device.authentication.symmetricKey.primaryKey;
      if (device.authentication.type !== 'sas' || !key) throw new UsageError(`Device '${flags.deviceId}' does not authenticate with SAS keys (authentication type ${device.authentication.type}).`);
      return { connectionString: `HostName=${flags.hostName ?? client.hostName};DeviceId=${device.deviceId};SharedAccessKey=${key}` };
    }),
  );
}
