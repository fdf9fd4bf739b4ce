import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceClient, ServiceError } from '@hubemu/backend';
import { assertCliBuilt, BIN, runCli } from './run-cli.js';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  assertCliBuilt();
  dir = mkdtempSync(join(tmpdir(), 'hubemu-cli-start-'));
});
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `hubemu start` (in memory unless `flags` name a durable `--data-dir`) on free ports and resolves with its banner once it is up. */
function startProcess(flags: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const where = flags.includes('--data-dir') ? [] : ['--in-memory', '--data-dir', dir];
  const child = spawn(process.execPath, [BIN, 'start', ...where, '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0', '--log-level', 'warn', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Owner connection string:\s+\S+\n/.test(stdout)) resolve({ child, banner: stdout });
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`hubemu start exited with ${code}: ${stderr}`)));
  });
}

describe('hubemu start', { timeout: 60_000 }, () => {
  it('starts on the ports asked for, prints the banner, and applies the job limit flags', async () => {
    const { child, banner } = await startProcess(['--max-concurrent-jobs', '1', '--configuration-interval', '50']);
    const connectionString = /Owner connection string:\s+(\S+)/.exec(banner)?.[1] as string;
    expect(connectionString).toMatch(/^HostName=localhost:\d+;SharedAccessKeyName=iothubowner;SharedAccessKey=/);
    const caPath = join(dir, 'certs', 'ca.pem');
    expect(banner).toContain(`CA certificate   ${caPath}`);

    const client = ServiceClient.fromConnectionString(connectionString, { ca: readFileSync(caPath, 'utf8') });
    try {
      const later = new Date(Date.now() + 3_600_000);
      const first = await client.jobs.scheduleTwinUpdate('later-1', { queryCondition: '*', startTime: later, twinPatch: { tags: { a: 1 } } });
      expect(first.status).toBe('queued');
      const refused = await client.jobs.scheduleTwinUpdate('later-2', { queryCondition: '*', startTime: later, twinPatch: { tags: { a: 2 } } }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ServiceError);
      expect((refused as ServiceError).status).toBe(429);
      expect((refused as ServiceError).errorCode).toBe('ThrottlingMaxActiveJobCountExceeded');
    } finally {
      client.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses to start on a corrupt state log, naming file and line, and starts with --repair-state', async () => {
    const dataDir = join(dir, 'corrupt');
    const log = join(dataDir, 'state', 'state.jsonl');
    mkdirSync(join(dataDir, 'state'), { recursive: true });
    writeFileSync(log, `${JSON.stringify({ c: 'meta', k: 'a', v: 'kept' })}\nnull\n`);
    const refused = await runCli(['start', '--data-dir', dataDir, '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0'], { cwd: dir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`${log}:2: not a log record`);
    expect(refused.stderr).toContain('--repair-state');

    const { child } = await startProcess(['--data-dir', dataDir, '--repair-state']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, 'state', 'state.rejected.jsonl'))).toBe(true);
  });

  it('refuses a bad flag value with a message that names it, before binding anything', async () => {
    const tier = await runCli(['start', '--tier', 'S9'], { cwd: dir });
    expect(tier.code).not.toBe(0);
    expect(tier.stderr).toContain("option '--tier <tier>' argument 'S9' is invalid");
    const port = await runCli(['start', '--mqtt-port', '70000'], { cwd: dir });
    expect(port.code).not.toBe(0);
    expect(port.stderr).toContain("'70000' is not a port");
    const level = await runCli(['start', '--log-level', 'loud'], { cwd: dir });
    expect(level.code).not.toBe(0);
    expect(level.stderr).toContain('--log-level');
  });

  it("takes defaults and ranges from the hub's options schema, and refuses what it refuses before binding anything", async () => {
    const interval = await runCli(['start', '--configuration-interval', '5'], { cwd: dir });
    expect(interval.code).not.toBe(0);
    expect(interval.stderr).toContain('--configuration-interval must be an integer from 10 to 2147483647');
    const units = await runCli(['start', '--tier-units', '201'], { cwd: dir });
    expect(units.stderr).toContain('--tier-units must be an integer from 1 to 200');
    const timeout = await runCli(['start', '--mqtt-connect-timeout', '0'], { cwd: dir });
    expect(timeout.stderr).toContain('--mqtt-connect-timeout must be an integer from 1 to 2147483647');
    const headers = await runCli(['start', '--in-memory', '--data-dir', dir, '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0', '--http-headers-timeout', '90000'], { cwd: dir });
    expect(headers.code).not.toBe(0);
    expect(headers.stderr).toContain('httpHeadersMs must not exceed httpRequestMs');
    expect(headers.stdout).not.toContain('hubemu is running');
    const help = await runCli(['start', '--help'], { cwd: dir });
    expect(help.stdout).toMatch(/--tls-handshake-timeout <ms>[\s\S]*\(default: 30000\)/);
    expect(help.stdout).toMatch(/--https-port <port>[\s\S]*\(default: 443\)/);
  });

  it('applies the timeout flags: a connection that never handshakes is closed after --tls-handshake-timeout', async () => {
    const { child, banner } = await startProcess(['--tls-handshake-timeout', '200']);
    try {
      const port = Number(/MQTT\/TLS\s+\S+:(\d+)/.exec(banner)?.[1]);
      const socket = connect(port, '127.0.0.1');
      const started = Date.now();
      // The hub's default is 30 s; closed well before that, the flag took effect.
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('the silent connection is still open after 5 s')), 5_000);
        socket.once('close', () => {
          clearTimeout(deadline);
          resolve(Date.now() - started);
        });
        socket.on('error', () => undefined);
      });
      expect(closedAfter).toBeLessThan(5_000);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('prints a one-time dashboard login link that opens a session, and --no-dashboard serves no dashboard', async () => {
    const { child, banner } = await startProcess([]);
    const ca = readFileSync(join(dir, 'certs', 'ca.pem'), 'utf8');
    try {
      const link = /dashboard\s+(https:\/\/localhost:\d+\/#login=[\w-]+)\n/.exec(banner)?.[1];
      expect(link).toBeDefined();
      const url = new URL(link as string);
      const login = url.hash.replace('#login=', '');
      const session = await httpsJson(`${url.origin}/dashboard/session`, ca, { login });
      expect(session.status).toBe(200);
      expect((await httpsJson(`${url.origin}/dashboard/session`, ca, { login })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    const off = await startProcess(['--no-dashboard']);
    try {
      expect(off.banner).toMatch(/dashboard\s+off \(--no-dashboard\)/);
      const port = /HTTPS\s+https:\/\/localhost:(\d+)/.exec(off.banner)?.[1];
      expect((await httpsJson(`https://localhost:${port}/`, ca)).status).toBe(404);
    } finally {
      off.child.kill('SIGTERM');
    }
  });
});

describe('hubemu start --clock manual and hubemu emulator clock', { timeout: 90_000 }, () => {
  it('starts a test clock at --clock-start that emulator clock shows, advances and sets; the hub refuses bad moves', async () => {
    const { child, banner } = await startProcess(['--clock', 'manual', '--clock-start', '2024-01-01T00:00:00Z']);
    expect(banner).toContain('clock            test clock at 2024-01-01T00:00:00.000Z');
    const login = /Owner connection string:\s+(\S+)/.exec(banner)?.[1] as string;
    const clock = (...args: string[]) => runCli(['emulator', 'clock', ...args, '--login', login, '--ca', join(dir, 'certs', 'ca.pem')], { cwd: dir });
    try {
      expect((await clock()).json).toEqual({ now: '2024-01-01T00:00:00.000Z', mode: 'manual' });
      expect((await clock('--advance', 'PT5M')).json).toEqual({ now: '2024-01-01T00:05:00.000Z', mode: 'manual' });
      // Ten years on (the configuration pass's interval fires once, not every 2 s of it); the command's own token is still valid by the hub's clock.
      expect((await clock('--set', '2034-06-01T12:00:00+02:00')).json.now).toBe('2034-06-01T10:00:00.000Z');
      expect((await clock('--advance', '1500')).json.now).toBe('2034-06-01T10:00:01.500Z');

      const backwards = await clock('--set', '2030-01-01T00:00:00Z');
      expect(backwards.code).toBe(2);
      expect(backwards.stderr).toContain('ArgumentInvalid (400004): The test clock does not go backwards');
      const both = await clock('--set', '2040-01-01T00:00:00Z', '--advance', 'PT1M');
      expect(both.code).toBe(1);
      expect(both.stderr).toContain('Give --set or --advance, not both.');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses --clock-start without --clock manual', async () => {
    const run = await runCli(['start', '--in-memory', '--data-dir', dir, '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0', '--clock-start', '2024-01-01T00:00:00Z'], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--clock-start goes with --clock manual.');
  });
});

describe('hubemu start --demo', { timeout: 90_000 }, () => {
  it('runs 25 devices of mixed models: thermostats and sensors apply their configuration, picky sensors fail it', async () => {
    const { child, banner } = await startProcess(['--demo']);
    const connectionString = /Owner connection string:\s+(\S+)/.exec(banner)?.[1] as string;
    const client = ServiceClient.fromConnectionString(connectionString, { ca: readFileSync(join(dir, 'certs', 'ca.pem'), 'utf8') });
    try {
      const byStatus = async (): Promise<Record<string, number>> => {
        const rows = await client.query.all<{ status?: string; n: number }>('SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS n FROM devices GROUP BY properties.reported.telemetryConfig.status');
        return Object.fromEntries(rows.map((r) => [r.status ?? '(none)', r.n]));
      };
      await expect.poll(byStatus, { timeout: 30_000 }).toEqual({ Success: 18, Failed: 3, '(none)': 4 });
      const models = await client.query.all<{ modelId: string; n: number }>('SELECT modelId, COUNT() AS n FROM devices GROUP BY modelId');
      expect(models.map((m) => m.n).reduce((a, b) => a + b, 0)).toBe(25);
      expect(models.length).toBeGreaterThanOrEqual(2);
    } finally {
      client.close();
      child.kill('SIGTERM');
    }
  });
});

/** A GET (or a POST of `body` as JSON) over HTTPS trusting `ca`; resolves with the status. */
function httpsJson(url: string, ca: string, body?: unknown): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(url, { method: payload ? 'POST' : 'GET', ca, headers: payload ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
