import { InvalidArgumentError } from 'commander';

/** A TCP port flag: an integer from 0 (pick a free one) to 65535. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`'${value}' is not a port (0-65535).`);
  return Number(value);
}

/** Parses an integer flag within bounds, for commander's argParser. */
export function integerFlag(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return Number(value);
  };
}
