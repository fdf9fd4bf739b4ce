import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { caPathOf, UsageError, type ServiceFlags } from './service-command.js';

/** Set in the re-executed child: the CA it was started trusting, so it does not start another. */
const TRUSTED_ENV = 'HUBEMU_AMQP_TRUSTS';

/**
 * The AMQP clients the messaging commands use take no CA: `@azure/event-hubs` builds its TLS options
 * itself (core-amqp's ConnectionContextBase passes host, port and SASL to rhea, nothing else), and
 * `azure-iothub`'s AMQP transport connects with only its `amqps://` URI. Node reads
 * `NODE_EXTRA_CA_CERTS` once, when the process starts (Node 20 has no `tls.setDefaultCACertificates`).
 * So when the hub's CA (`--ca`, `--data-dir` or the default data dir's, as the REST commands find it)
 * is not trusted yet, the command runs again in a child process whose `NODE_EXTRA_CA_CERTS` holds it
 * (plus any the caller had), with the same arguments and stdio; the parent exits with its code.
 *
 * Returns true when this process may go on (nothing to trust, or trusted already); false when the
 * child ran the command.
 */
export async function trustHubCaForAmqp(flags: Pick<ServiceFlags, 'ca' | 'dataDir'>): Promise<boolean> {
  const caPath = caPathOf(flags);
  if (caPath === undefined) return true;
  const absolute = resolve(caPath);
  if (!existsSync(absolute)) throw new UsageError(`--ca: there is no ${caPath}.`);
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (process.env[TRUSTED_ENV] === absolute || (extra !== undefined && resolve(extra) === absolute)) return true;

  let bundle = absolute;
  let scratch: string | undefined;
  if (extra && existsSync(extra)) {
    // NODE_EXTRA_CA_CERTS names one file: keep what the caller trusted and add the hub's CA.
    scratch = mkdtempSync(join(tmpdir(), 'hubemu-ca-'));
    bundle = join(scratch, 'ca-bundle.pem');
    writeFileSync(bundle, `${readFileSync(extra, 'utf8').trimEnd()}\n${readFileSync(absolute, 'utf8')}`);
  }
  try {
    process.exitCode = await new Promise<number>((done, fail) => {
      const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle, [TRUSTED_ENV]: absolute },
      });
      // Ctrl-C reaches the child through the terminal: this process waits for it to finish. A kill aimed at this process is passed on.
      const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
      const wait = (): void => {};
      process.on('SIGTERM', forward).on('SIGINT', wait);
      child.on('error', fail);
      child.on('exit', (code, signal) => {
        process.off('SIGTERM', forward).off('SIGINT', wait);
        done(code ?? (signal ? 128 + 2 : 1));
      });
    });
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  return false;
}
