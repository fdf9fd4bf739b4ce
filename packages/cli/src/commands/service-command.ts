import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Option, type Command } from 'commander';
import { ServiceClient, ServiceError, type ServiceClientOptions } from '@hubemu/backend';
import { HubOptionsSchema } from '@hubemu/shared';
import { parseOutputFormat, printResult, type OutputFormat } from './output-format.js';

/** A mistake in how the command was called or in its input (exit code 1, like commander's own errors). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes of the service commands: 1 the command line or its input is wrong, 2 the hub refused, 3 no hub answered. */
export const EXIT = { ok: 0, usage: 1, hubError: 2, unreachable: 3 } as const;

export interface ServiceFlags {
  login?: string;
  ca?: string;
  dataDir?: string;
  output: OutputFormat;
}

/** `hubemu start`'s data dir, from the hub's options schema: where it keeps `certs/ca.pem`. */
export const DEFAULT_DATA_DIR = HubOptionsSchema.parse({}).dataDir;

/** `<dataDir>/certs/ca.pem`: the CA `hubemu start` makes and clients trust. */
export function caPathIn(dataDir: string): string {
  return join(dataDir, 'certs', 'ca.pem');
}

/** Adds `--login`, `--ca`, `--data-dir` and `-o/--output` to a command that talks to a hub. */
export function withServiceOptions(command: Command): Command {
  return command
    .addOption(new Option('-l, --login <connection-string>', 'the hub\'s service connection string (HostName=...;SharedAccessKeyName=...;SharedAccessKey=...)').env('HUBEMU_CONNECTION_STRING'))
    .option('--ca <file>', 'CA certificate (PEM) to trust besides the system roots and NODE_EXTRA_CA_CERTS (default: the hub\'s, see --data-dir)')
    .option('--data-dir <dir>', `the --data-dir the hub was started with: its certs/ca.pem is trusted (default: ${DEFAULT_DATA_DIR} in this folder or the nearest parent folder that has ${caPathIn(DEFAULT_DATA_DIR)})`)
    .addOption(new Option('-o, --output <format>', 'json or table').default('json').argParser(parseOutputFormat));
}

/** The nearest `<folder>/.hubemu/certs/ca.pem` from `cwd` up to the root: `npm start` keeps it at the repo's root, a command may run below. */
export function findDefaultCa(cwd: string): string | undefined {
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const candidate = caPathIn(join(folder, DEFAULT_DATA_DIR));
    if (existsSync(candidate)) return candidate;
    if (dirname(folder) === folder) return undefined;
  }
}

/** The CA file to trust: `--ca`, else `<--data-dir>/certs/ca.pem` (which must exist), else the default data dir's when one is found. */
export function caPathOf(flags: Pick<ServiceFlags, 'ca' | 'dataDir'>): string | undefined {
  if (flags.ca !== undefined) return flags.ca;
  if (flags.dataDir !== undefined) {
    const path = caPathIn(flags.dataDir);
    if (!existsSync(path)) throw new UsageError(`--data-dir: there is no ${path} (start the hub with this --data-dir first, or pass --ca).`);
    return path;
  }
  return findDefaultCa(process.cwd());
}

/**
 * Which CAs to trust besides the system roots (see caPathOf); NODE_EXTRA_CA_CERTS stays trusted
 * either way (an explicit `ca` would otherwise replace it).
 */
function resolveCa(flags: Pick<ServiceFlags, 'ca' | 'dataDir'>): string[] | undefined {
  const path = caPathOf(flags);
  if (path === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the CA certificate ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${path} is not a PEM certificate.`);
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const extraPem = extra && existsSync(extra) ? [readFileSync(extra, 'utf8')] : [];
  return [...rootCertificates, ...extraPem, pem];
}

export function createClient(flags: ServiceFlags, extra: Pick<ServiceClientOptions, 'tokenTtlSeconds'> = {}): ServiceClient {
  if (!flags.login) {
    throw new UsageError("No hub to talk to: pass --login '<service connection string>' or set HUBEMU_CONNECTION_STRING (hubemu start prints the owner's).");
  }
  const ca = resolveCa(flags);
  const options: ServiceClientOptions = { ...extra, ...(ca === undefined ? {} : { ca }) };
  try {
    return ServiceClient.fromConnectionString(flags.login, options);
  } catch (error) {
    throw new UsageError(`--login: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** JSON given inline, or the path of a file holding it. */
export function parseJsonArgument(flag: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (inlineError) {
    if (existsSync(value)) {
      try {
        return JSON.parse(readFileSync(value, 'utf8')) as unknown;
      } catch (fileError) {
        throw new UsageError(`${flag}: the file ${value} is not valid JSON (${fileError instanceof Error ? fileError.message : String(fileError)}).`);
      }
    }
    throw new UsageError(`${flag} is not valid JSON (${inlineError instanceof Error ? inlineError.message : String(inlineError)}). Quote it, e.g. ${flag} '{"interval": 5}'.`);
  }
}

/** Like parseJsonArgument, but the value must be a JSON object. */
export function parseJsonObjectArgument(flag: string, value: string): Record<string, unknown> {
  const parsed = parseJsonArgument(flag, value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${flag} must be a JSON object.`);
  return parsed as Record<string, unknown>;
}

/** Writes a failure to stderr and returns the exit code (see EXIT). */
export function report(error: unknown): number {
  if (error instanceof ServiceError) {
    if (error.status === 0) {
      process.stderr.write(`hubemu: cannot reach the hub: ${error.message}\n`);
      if (/certificate/i.test(error.message)) process.stderr.write(`hubemu: trust the hub's CA with --ca <ca.pem> or NODE_EXTRA_CA_CERTS.\n`);
      return EXIT.unreachable;
    }
    const code = error.code === undefined ? '' : ` (${error.code})`;
    process.stderr.write(`hubemu: ${error.errorCode}${code}: ${error.message}\n`);
    if (error.trackingId) process.stderr.write(`hubemu: HTTP ${error.status}, tracking id ${error.trackingId}\n`);
    return EXIT.hubError;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`hubemu: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`hubemu: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.usage;
}

/**
 * Runs one service command: makes the client, runs `work`, prints its result in the chosen format
 * on stdout, and turns failures into a message on stderr and a non-zero exit code.
 */
export async function runServiceCommand(
  flags: ServiceFlags,
  work: (client: ServiceClient) => Promise<unknown>,
  clientOptions: Pick<ServiceClientOptions, 'tokenTtlSeconds'> = {},
): Promise<void> {
  let client: ServiceClient | undefined;
  try {
    client = createClient(flags, clientOptions);
    printResult(await work(client), flags.output);
  } catch (error) {
    process.exitCode = report(error);
  } finally {
    client?.close();
  }
}

