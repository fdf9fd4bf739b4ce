import { Option, type Command } from 'commander';
import type { ServiceClient } from '@hubemu/backend';
import { TrafficFilterSchema, type TrafficFilter } from '@hubemu/shared';
import { runServiceCommand, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

/**
 * The emulator commands sign their SAS token for ten years: a test clock run ahead of real time would
 * otherwise find the CLI's token (signed by the real clock, an hour by default) expired and refuse it.
 */
export const CONTROL_TOKEN_TTL_SECONDS = 10 * 365 * 86_400;

/** Runs a control-plane command with a token signed for CONTROL_TOKEN_TTL_SECONDS. */
export function runControlCommand(flags: ServiceFlags, work: (client: ServiceClient) => Promise<unknown>): Promise<void> {
  return runServiceCommand(flags, work, { tokenTtlSeconds: CONTROL_TOKEN_TTL_SECONDS });
}

/** Adds subcommands to `hubemu emulator` (the faults and the clock each bring one). */
export type EmulatorSubcommand = (emulator: Command) => void;

interface TrafficFlags extends ServiceFlags {
  deviceId?: string;
  moduleId?: string;
  plane?: string;
  operation?: string;
  direction?: 'in' | 'out';
  since?: string;
  until?: string;
  jsonl?: boolean;
}

interface DisconnectFlags extends ServiceFlags {
  deviceId: string;
  moduleId?: string;
}

/** The flags as the hub's traffic filter, checked here with the schema the hub uses. */
function trafficFilterOf(flags: TrafficFlags): TrafficFilter {
  const { deviceId, moduleId, plane, operation, direction, since, until } = flags;
  const parsed = TrafficFilterSchema.safeParse(
    Object.fromEntries(Object.entries({ deviceId, moduleId, plane, operation, direction, since, until }).filter(([, value]) => value !== undefined)),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? 'filter').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function registerReset(emulator: Command): void {
  withServiceOptions(
    emulator.command('reset').description('Put the hub back to its seeded state: connections closed, state emptied, the seed applied again (listeners stay up).'),
  ).action((flags: ServiceFlags) => runControlCommand(flags, (client) => client.emulator.reset()));
}

function registerTraffic(emulator: Command): void {
  withServiceOptions(
    emulator
      .command('traffic')
      .description('Print what crossed the hub (both planes), oldest first, with how many records its bound dropped.')
      .option('-d, --device-id <id>', 'only this device')
      .option('-m, --module-id <id>', 'only this module')
      .option('--plane <plane>', 'only this plane (mqtt, http)')
      .option('--operation <name>', "only this operation (twin.get, 'PATCH /twins/:deviceId'), or a prefix ending in * (twin.*)")
      .addOption(new Option('--direction <direction>', 'in: clients asked; out: the hub pushed').choices(['in', 'out']))
      .option('--since <time>', 'records at or after this ISO 8601 time')
      .option('--until <time>', 'records at or before this ISO 8601 time')
      .option('--jsonl', 'one JSON record per line on stdout (the dropped count goes to stderr)'),
  ).action((flags: TrafficFlags) =>
    runControlCommand(flags, async (client) => {
      const page = await client.emulator.traffic(trafficFilterOf(flags));
      if (flags.jsonl) {
        process.stdout.write(page.records.map((record) => `${JSON.stringify(record)}\n`).join(''));
        if (page.dropped > 0) process.stderr.write(`hubemu: the traffic bound dropped ${page.dropped} older records\n`);
        return undefined;
      }
      return flags.output === 'table' ? page.records : page;
    }),
  );
}

function registerDisconnect(emulator: Command): void {
  withServiceOptions(
    emulator
      .command('disconnect')
      .description("Drop a device's (or module's) connection, as a network failure would; it may reconnect.")
      .addOption(new Option('-d, --device-id <id>', 'the device').makeOptionMandatory())
      .option('-m, --module-id <id>', 'a module of the device'),
  ).action((flags: DisconnectFlags) =>
    runControlCommand(flags, async (client) => ({
      disconnected: await client.emulator.disconnect(flags.deviceId, flags.moduleId === undefined ? {} : { moduleId: flags.moduleId }),
    })),
  );
}

/**
 * `hubemu emulator ...`: the test controls over REST (docs/testing-with-hubemu.md), for a hub run as a
 * process. `reset`, `traffic` and `disconnect` here; `more` adds the other areas' subcommands.
 */
export function registerEmulator(program: Command, ...more: EmulatorSubcommand[]): Command {
  const emulator = program.command('emulator').description("hubemu's test controls (not part of IoT Hub): reset, recorded traffic, disconnects. Needs the owner's connection string.");
  for (const register of [registerReset, registerTraffic, registerDisconnect, ...more]) register(emulator);
  return emulator;
}
