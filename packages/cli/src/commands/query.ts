import { Option, type Command } from 'commander';
import { integerFlag } from '../options.js';
import { runServiceCommand, withServiceOptions, type ServiceFlags } from './service-command.js';

interface QueryFlags extends ServiceFlags {
  queryCommand: string;
  top: number;
  pageSize: number;
}

/** `hubemu query -q "..."`, named after `az iot hub query`: every page, up to `--top` items. */
export function registerQuery(program: Command): void {
  withServiceOptions(
    program
      .command('query')
      .description('Run an IoT Hub query (SELECT ... FROM devices | devices.modules | devices.jobs ...) and print the items, page after page, up to --top.')
      .addOption(new Option('-q, --query-command <query>', 'the query, e.g. "SELECT * FROM devices WHERE tags.location.plant = \'Redmond43\'"').makeOptionMandatory())
      .option('--top <n>', 'stop after this many items (az: 100 by default, -1 for all; here 1 to 1000000)', integerFlag('--top', 1, 1_000_000), 100)
      .option('--page-size <n>', 'items per request (x-ms-max-item-count, at most 100)', integerFlag('--page-size', 1, 100), 100),
  ).action((flags: QueryFlags) =>
    runServiceCommand(flags, async (client) => {
      const items: unknown[] = [];
      for await (const item of client.query.items(flags.queryCommand, { pageSize: Math.min(flags.pageSize, flags.top) })) {
        items.push(item);
        if (items.length >= flags.top) break;
      }
      return items;
    }),
  );
}
