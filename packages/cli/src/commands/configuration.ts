import { Option, type Command } from 'commander';
import { configurationInputOf, type ConfigurationContent, type ConfigurationInput } from '@hubemu/backend';
import type { JsonObject } from '@hubemu/shared';
import { integerFlag } from '../options.js';
import { parseJsonObjectArgument, runServiceCommand, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

interface ConfigFlags extends ServiceFlags {
  configId: string;
}

interface WriteFlags extends ConfigFlags {
  targetCondition?: string;
  priority?: number;
  labels?: string;
  metrics?: string;
}

interface CreateFlags extends WriteFlags {
  content: string;
}

interface UpdateFlags extends WriteFlags {
  etag?: string;
}

interface DeleteFlags extends ConfigFlags {
  etag?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `--content`: `{"deviceContent": {...}}` or `{"moduleContent": {...}}`, optionally inside `{"content": ...}` (as az takes it). */
function contentOf(value: string): ConfigurationContent {
  const parsed = parseJsonObjectArgument('--content', value);
  const content = isObject(parsed.content) ? parsed.content : parsed;
  if (content.deviceContent !== undefined && content.moduleContent !== undefined) {
    throw new UsageError('--content has both deviceContent and moduleContent; a configuration carries one of them.');
  }
  if (isObject(content.deviceContent)) return { deviceContent: content.deviceContent as JsonObject };
  if (isObject(content.moduleContent)) return { moduleContent: content.moduleContent as JsonObject };
  throw new UsageError(`--content must hold deviceContent or moduleContent (an object), e.g. --content '{"deviceContent": {"properties.desired.firmware": {"version": "2.0"}}}'.`);
}

/** `--metrics`: `{"queries": {name: query}}`, optionally inside `{"metrics": ...}` (as az takes it). */
function metricsOf(value: string): { queries: Record<string, string> } {
  const parsed = parseJsonObjectArgument('--metrics', value);
  const metrics = isObject(parsed.metrics) ? parsed.metrics : parsed;
  const queries = metrics.queries;
  if (!isObject(queries) || !Object.values(queries).every((query) => typeof query === 'string')) {
    throw new UsageError(`--metrics must hold a queries object of names to queries, e.g. --metrics '{"queries": {"updated": "SELECT deviceId FROM devices WHERE properties.reported.ok = true"}}'.`);
  }
  return { queries: queries as Record<string, string> };
}

/** `--labels`: a JSON object of strings. */
function labelsOf(value: string): Record<string, string> {
  const labels = parseJsonObjectArgument('--labels', value);
  if (!Object.values(labels).every((label) => typeof label === 'string')) throw new UsageError(`--labels must map names to strings, e.g. --labels '{"team": "ops"}'.`);
  return labels as Record<string, string>;
}

/** The fields the flags set (target condition, priority, labels, metrics). */
function changesOf(flags: WriteFlags): ConfigurationInput {
  return {
    ...(flags.targetCondition === undefined ? {} : { targetCondition: flags.targetCondition }),
    ...(flags.priority === undefined ? {} : { priority: flags.priority }),
    ...(flags.labels === undefined ? {} : { labels: labelsOf(flags.labels) }),
    ...(flags.metrics === undefined ? {} : { metrics: metricsOf(flags.metrics) }),
  };
}

const configIdOption = (): Option => new Option('-c, --config-id <id>', 'the configuration id (lowercase)').makeOptionMandatory();
const etagOption = (what: string): Option => new Option('-e, --etag <etag>', `${what} only if the configuration still has this etag (else the hub answers 412); '*' forces`);

/** Adds the flags of the fields a configuration may change after creation. */
function withWritableFields(command: Command): Command {
  return command
    .option('-t, --target-condition <condition>', "which twins: a WHERE condition on device twins, e.g. \"tags.environment = 'test'\" or '*' (modules: \"FROM devices.modules WHERE ...\")")
    .option('--pri, --priority <n>', 'the highest priority wins a property two configurations set (0-2147483647)', integerFlag('--priority', 0, 2_147_483_647))
    .option('--lab, --labels <json>', 'labels, e.g. \'{"team": "ops"}\' (JSON, or a file holding it)')
    .option('-m, --metrics <json>', 'custom metrics, e.g. \'{"queries": {"updated": "SELECT deviceId FROM devices WHERE ..."}}\' (JSON, or a file holding it)');
}

/** `hubemu configuration create|show|list|update|delete`, named after `az iot hub configuration`. */
export function registerConfiguration(program: Command): void {
  const group = program.command('configuration').description('Manage automatic device configurations (desired properties rolled out to the twins a condition targets).');

  withServiceOptions(
    withWritableFields(
      group
        .command('create')
        .description('Create a configuration; the hub applies its content to the targeted twins shortly after.')
        .addOption(configIdOption())
        .addOption(new Option('-k, --content <json>', 'deviceContent or moduleContent: twin paths to values, e.g. \'{"deviceContent": {"properties.desired.firmware": {"version": "2.0"}}}\' (JSON, or a file holding it)').makeOptionMandatory()),
    ),
  ).action((flags: CreateFlags) =>
    runServiceCommand(flags, (client) => {
      const input: ConfigurationInput = { content: contentOf(flags.content), ...changesOf(flags) };
      return client.configurations.create(flags.configId, input);
    }),
  );

  withServiceOptions(group.command('show').description('Show a configuration with its metrics (from the hub\'s last evaluation).').addOption(configIdOption())).action((flags: ConfigFlags) =>
    runServiceCommand(flags, (client) => client.configurations.get(flags.configId)),
  );

  withServiceOptions(
    group
      .command('list')
      .description('List configurations.')
      .option('--top <n>', 'at most this many configurations (1-1000; a hub holds at most 100)', integerFlag('--top', 1, 1000)),
  ).action((flags: ServiceFlags & { top?: number }) => runServiceCommand(flags, (client) => client.configurations.list(flags.top === undefined ? {} : { top: flags.top })));

  withServiceOptions(
    withWritableFields(
      group
        .command('update')
        .description('Change the target condition, priority, labels or metrics of a configuration (its content cannot change); the other fields are kept.')
        .addOption(configIdOption()),
    ).addOption(etagOption('update')),
  ).action((flags: UpdateFlags) =>
    runServiceCommand(flags, async (client) => {
      const changes = changesOf(flags);
      if (Object.keys(changes).length === 0) throw new UsageError('Nothing to change: give --target-condition, --priority, --labels and/or --metrics.');
      const current = await client.configurations.get(flags.configId);
      // A PUT replaces every field: send the current ones with the changes, guarded by the etag just read unless --etag says otherwise.
      return client.configurations.update(flags.configId, { ...configurationInputOf(current), ...changes }, { etag: flags.etag ?? current.etag });
    }),
  );

  withServiceOptions(group.command('delete').description('Delete a configuration; the twins it set lose its settings.').addOption(configIdOption()).addOption(etagOption('delete'))).action(
    (flags: DeleteFlags) =>
      runServiceCommand(flags, async (client) => {
        await client.configurations.delete(flags.configId, flags.etag === undefined ? {} : { etag: flags.etag });
        return undefined;
      }),
  );
}
