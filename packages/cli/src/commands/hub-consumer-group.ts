import { Option, type Command } from 'commander';
import { runControlCommand } from './emulator.js';
import { withServiceOptions, type ServiceFlags } from './service-command.js';

interface NamedFlags extends ServiceFlags {
  name: string;
}

/** `-n, --name`, as az names the consumer group. */
const nameOption = (): Option => new Option('-n, --name <name>', 'the consumer group (letters, digits, . - _, up to 50; any case)').makeOptionMandatory();

/**
 * `hubemu hub consumer-group create|list|show|delete`, named after `az iot hub consumer-group ...`: the
 * consumer groups of the Event Hubs-compatible endpoint, changed while the hub runs. Azure does this
 * through its management plane; hubemu through its own control routes (`/emulator/eventhub/consumergroups`),
 * so it needs the owner's connection string. `delete` detaches the group's readers; a reset brings
 * back the groups the hub was started with.
 */
export function registerConsumerGroup(hub: Command): void {
  const group = hub.command('consumer-group').description("The Event Hubs-compatible endpoint's consumer groups (hubemu's control plane: needs the owner's connection string).");
  withServiceOptions(group.command('create').description('Create a consumer group; fails when one of that name exists.').addOption(nameOption())).action((flags: NamedFlags) =>
    runControlCommand(flags, (client) => client.emulator.createConsumerGroup(flags.name)),
  );
  withServiceOptions(group.command('list').description('List the consumer groups, $Default first.')).action((flags: ServiceFlags) =>
    runControlCommand(flags, (client) => client.emulator.consumerGroups()),
  );
  withServiceOptions(group.command('show').description('Show one consumer group; fails when there is none.').addOption(nameOption())).action((flags: NamedFlags) =>
    runControlCommand(flags, (client) => client.emulator.consumerGroup(flags.name)),
  );
  withServiceOptions(group.command('delete').description('Delete a consumer group and detach its readers ($Default cannot be deleted).').addOption(nameOption())).action((flags: NamedFlags) =>
    runControlCommand(flags, async (client) => {
      await client.emulator.deleteConsumerGroup(flags.name);
      return undefined;
    }),
  );
}
