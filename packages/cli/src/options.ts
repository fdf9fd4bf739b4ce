import { InvalidArgumentError } from 'commander';

/** A TCP port flag: an integer from 0 (pick a free one) to 65535. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`'${value}' is not a port (0-65535).`);
  return Number(value);
}
