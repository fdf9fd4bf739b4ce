import { Command } from 'commander';
import type { ClockRequest } from '@hubemu/shared';
import { runControlCommand } from './emulator.js';
import { UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

interface ClockFlags extends ServiceFlags {
  set?: string;
  advance?: string;
}


/** The body of `POST /emulator/clock` for `--set` or `--advance` (milliseconds, or an ISO 8601 duration such as PT5M); the hub checks it. */
export function clockRequestOf(flags: Pick<ClockFlags, 'set' | 'advance'>): ClockRequest | undefined {
  if (flags.set !== undefined && flags.advance !== undefined) throw new UsageError('Give --set or --advance, not both.');
  if (flags.set !== undefined) return { now: flags.set };
  if (flags.advance !== undefined) return /^\d+$/.test(flags.advance) ? { advanceMs: Number(flags.advance) } : { advance: flags.advance };
  return undefined;
}

/**
 * `hubemu emulator clock [--set <time> | --advance <ms|duration>]`: prints the hub's `{ now, mode }`;
 * with a flag, moves its test clock first (the hub answers once every timer due by then ran).
 */
export function clockCommand(): Command {
  return withServiceOptions(
    new Command('clock')
      .description("Show the hub's clock, or set or advance its test clock (a hub started with --clock manual).")
      .option('--set <time>', 'set the test clock to this ISO 8601 time, with its offset (e.g. 2030-01-01T00:00:00Z); never backwards')
      .option('--advance <by>', 'advance the test clock by milliseconds (300000) or an ISO 8601 duration (PT5M, P1DT2H)'),
  ).action((flags: ClockFlags) =>
    runControlCommand(flags, async (client) => {
      const body = clockRequestOf(flags);
      const answer = await client.rest.request(body === undefined ? { method: 'GET', path: '/emulator/clock' } : { method: 'POST', path: '/emulator/clock', body });
      return answer.body;
    }),
  );
}
