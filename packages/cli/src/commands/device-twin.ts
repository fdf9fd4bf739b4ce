import { Option, type Command } from 'commander';
import type { ServiceClient, TwinUpdate } from '@hubemu/backend';
import type { JsonObject } from '@hubemu/shared';
import { integerFlag } from '../options.js';
import { parseJsonObjectArgument, runServiceCommand, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

interface TwinFlags extends ServiceFlags {
  deviceId: string;
  moduleId?: string;
}

interface TwinWriteFlags extends TwinFlags {
  desired?: string;
  tags?: string;
  etag?: string;
}

interface ReplaceFlags extends TwinWriteFlags {
  json?: string;
}

/** `--desired` and `--tags` (and, for replace, the tags and desired properties of a `--json` twin). */
function updateOf(flags: ReplaceFlags): TwinUpdate {
  const update: TwinUpdate = {};
  if (flags.json !== undefined) {
    const twin = parseJsonObjectArgument('--json', flags.json);
    const properties = twin.properties as { desired?: unknown } | undefined;
    if (twin.tags !== undefined) update.tags = twin.tags as JsonObject;
    if (properties?.desired !== undefined) update.properties = { desired: properties.desired as JsonObject };
  }
  if (flags.tags !== undefined) update.tags = parseJsonObjectArgument('--tags', flags.tags) as JsonObject;
  if (flags.desired !== undefined) update.properties = { desired: parseJsonObjectArgument('--desired', flags.desired) as JsonObject };
  if (update.tags === undefined && update.properties === undefined) {
    throw new UsageError(`Nothing to write: give --desired '<json>' and/or --tags '<json>'${flags.json === undefined ? '' : ' (the --json twin has neither tags nor properties.desired)'}.`);
  }
  return update;
}

function targetOf(flags: TwinWriteFlags): { moduleId?: string; etag?: string } {
  return { ...(flags.moduleId === undefined ? {} : { moduleId: flags.moduleId }), ...(flags.etag === undefined ? {} : { etag: flags.etag }) };
}

/** `SELECT * FROM devices`, page by page, stopping after `top` twins. */
async function listTwins(client: ServiceClient, top = 1000): Promise<unknown[]> {
  const twins: unknown[] = [];
  for await (const twin of client.query.items('SELECT * FROM devices', { pageSize: Math.min(top, 100) })) {
    twins.push(twin);
    if (twins.length >= top) break;
  }
  return twins;
}

const deviceIdOption = (): Option => new Option('-d, --device-id <id>', 'the device id').makeOptionMandatory();
const moduleIdOption = (): Option => new Option('-m, --module-id <id>', "a module's twin instead of the device's");
const etagOption = (): Option => new Option('--etag <etag>', 'write only if the twin still has this etag (else the hub answers 412)');
const desiredOption = (): Option => new Option('--desired <json>', 'desired properties (JSON object, or a file holding one)');
const tagsOption = (): Option => new Option('--tags <json>', 'tags (JSON object, or a file holding one)');

/** `hubemu device-twin show|list|update|replace`, named after `az iot hub device-twin`. */
export function registerDeviceTwin(program: Command): void {
  const group = program.command('device-twin').description('Read and write device twins (tags and desired properties).');

  withServiceOptions(group.command('show').description("Show a device's (or module's) twin.").addOption(deviceIdOption()).addOption(moduleIdOption())).action((flags: TwinFlags) =>
    runServiceCommand(flags, (client) => client.twins.get(flags.deviceId, flags.moduleId === undefined ? {} : { moduleId: flags.moduleId })),
  );

  withServiceOptions(
    group
      .command('list')
      .description('List device twins (SELECT * FROM devices).')
      .option('--top <n>', 'at most this many twins (1-1000)', integerFlag('--top', 1, 1000)),
  ).action((flags: ServiceFlags & { top?: number }) => runServiceCommand(flags, (client) => listTwins(client, flags.top)));

  withServiceOptions(
    group
      .command('update')
      .description('Merge tags and desired properties into a twin (null deletes a key).')
      .addOption(deviceIdOption())
      .addOption(moduleIdOption())
      .addOption(desiredOption())
      .addOption(tagsOption())
      .addOption(etagOption()),
  ).action((flags: TwinWriteFlags) => runServiceCommand(flags, async (client) => client.twins.patch(flags.deviceId, updateOf(flags), targetOf(flags))));

  withServiceOptions(
    group
      .command('replace')
      .description('Replace the tags and/or desired properties of a twin.')
      .addOption(deviceIdOption())
      .addOption(moduleIdOption())
      .option('-j, --json <json>', 'a twin (JSON, or a file holding one) whose tags and properties.desired replace the current ones')
      .addOption(desiredOption())
      .addOption(tagsOption())
      .addOption(etagOption()),
  ).action((flags: ReplaceFlags) => runServiceCommand(flags, async (client) => client.twins.replace(flags.deviceId, updateOf(flags), targetOf(flags))));
}
