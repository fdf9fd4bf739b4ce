import { Command, Option } from 'commander';
import { FAULT_ACTIONS, FAULT_OPERATIONS, FaultDefinitionSchema, describeZodIssue, type Fault, type FaultDefinitionInput } from '@hubemu/shared';
import { schemaFlag } from '../options.js';
import { runControlCommand } from './emulator.js';
import { parseJsonObjectArgument, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

const FIELDS = FaultDefinitionSchema.shape;

interface AddFlags extends ServiceFlags {
  definition?: string;
  id?: string;
  operation?: string;
  action?: string;
  route?: string;
  device?: string;
  count?: number;
  share?: number;
  seed?: number;
  for?: number;
  status?: number;
  errorCode?: string;
  message?: string;
  delay?: number;
  afterOperations?: number;
}

/** The definition the flags spell (over `--definition`'s JSON when both are given), checked with the hub's own schema before it is sent. */
function definitionOf(flags: AddFlags): FaultDefinitionInput {
  const base = flags.definition === undefined ? {} : parseJsonObjectArgument('--definition', flags.definition);
  const fromFlags = {
    id: flags.id,
    operation: flags.operation,
    action: flags.action,
    route: flags.route,
    device: flags.device,
    count: flags.count,
    share: flags.share,
    seed: flags.seed,
    forMs: flags.for,
    status: flags.status,
    errorCode: flags.errorCode,
    message: flags.message,
    delayMs: flags.delay,
    afterOperations: flags.afterOperations,
  };
  const definition = { ...base, ...Object.fromEntries(Object.entries(fromFlags).filter(([, v]) => v !== undefined)) };
  const parsed = FaultDefinitionSchema.safeParse(definition);
  if (!parsed.success) throw new UsageError(`Invalid fault: ${describeZodIssue(parsed.error)}.`);
  return definition as FaultDefinitionInput;
}

/** One line per fault for `-o table`. */
const summary = (fault: Fault): Record<string, unknown> => ({
  id: fault.id,
  operation: fault.route === undefined ? fault.operation : `${fault.operation} ${fault.route}`,
  device: fault.device ?? '*',
  action: fault.action,
  applied: fault.applied,
  expiresAt: fault.expiresAt ?? '',
});

/**
 * `hubemu emulator fault add|list|clear` (docs/cli.md): the `/emulator/faults` routes, for the owner
 * policy. `add` takes the definition as flags or `--definition '<json>'` (docs/testing-with-hubemu.md).
 */
export function faultCommand(): Command {
  const fault = new Command('fault').description('Inject faults: fail, delay, drop, disconnect, refuse, pause or time out operations (docs/testing-with-hubemu.md).');
  withServiceOptions(
    fault
      .command('add')
      .description('Add a fault; prints it with its id.')
      .option('--definition <json>', 'the whole definition as JSON (or a file holding it); flags override its fields')
      .option('--id <id>', 'name it (generated otherwise)')
      .addOption(new Option('--operation <operation>', 'what it hits').choices(FAULT_OPERATIONS))
      .addOption(new Option('--action <action>', 'what happens').choices(FAULT_ACTIONS))
      .option('--route <pattern>', "with --operation http: the route, e.g. 'PATCH /twins/*'")
      .option('--device <pattern>', "a device id or pattern ('sensor-*'); every device by default")
      .option('--count <n>', 'only the next n matching operations', schemaFlag('--count', FIELDS.count))
      .option('--share <fraction>', 'only this share of them (0 < share <= 1)', (v: string) => Number(v))
      .option('--seed <n>', 'seed of --share, so the same operations are hit every run', schemaFlag('--seed', FIELDS.seed))
      .option('--for <ms>', 'only for this long', schemaFlag('--for', FIELDS.forMs))
      .option('--status <status>', 'fail: the HTTP status (429, 500, 503 ...)', schemaFlag('--status', FIELDS.status))
      .option('--error-code <name>', 'fail: the IoT Hub error (ThrottlingException, ServiceUnavailable ...)')
      .option('--message <text>', 'fail: the error message')
      .option('--delay <ms>', 'delay: how long', schemaFlag('--delay', FIELDS.delayMs))
      .option('--after-operations <n>', 'disconnect: let this many operations through first', schemaFlag('--after-operations', FIELDS.afterOperations)),
  ).action(async (flags: AddFlags) => {
    await runControlCommand(flags, async (client) => {
      const definition = definitionOf(flags);
      return (await client.rest.request<Fault>({ method: 'POST', path: '/emulator/faults', body: definition })).body;
    });
  });
  withServiceOptions(fault.command('list').description('List the faults in force, with how often each acted.')).action(async (flags: ServiceFlags) => {
    await runControlCommand(flags, async (client) => {
      const faults = (await client.rest.request<Fault[]>({ method: 'GET', path: '/emulator/faults' })).body;
      return flags.output === 'table' ? faults.map(summary) : faults;
    });
  });
  withServiceOptions(fault.command('clear').description('Clear one fault, or all of them; paused desired notifications are released in order.').argument('[id]', 'the fault to clear (all when absent)')).action(
    async (id: string | undefined, flags: ServiceFlags) => {
      await runControlCommand(flags, async (client) => (await client.rest.request({ method: 'DELETE', path: id === undefined ? '/emulator/faults' : `/emulator/faults/${encodeURIComponent(id)}` })).body);
    },
  );
  return fault;
}
