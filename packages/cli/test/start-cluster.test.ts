import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSasToken } from '@hubemu/shared';
import { startRedisServer, type RedisServer } from '../../hub-emulator/test/redis-server.js';
import { assertCliBuilt, BIN, runCli } from './run-cli.js';

let dir: string;
let redis: RedisServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  assertCliBuilt();
  dir = mkdtempSync(join(tmpdir(), 'hubemu-cli-cluster-'));
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const OWNER_KEY = 'aHViZW11LWlvdGh1Ym93bmVyLXByaW1hcnkta2V5LTE=';

/** One HTTPS call to the cluster's REST API as iothubowner; resolves with the status, the answering process and the body. */
function call(port: number, ca: string, method: string, path: string, body?: unknown): Promise<{ status: number; process: string; json: any }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const token = signSasToken(`localhost:${port}`, OWNER_KEY, Math.floor(Date.now() / 1000) + 600, 'iothubowner');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: 'localhost',
        port,
        method,
        path: `${path}?api-version=2021-04-12`,
        ca,
        agent: false,
        headers: { Authorization: token, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, process: String(res.headers['x-hubemu-process']), json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('hubemu start --processes N --redis', { timeout: 90_000 }, () => {
  it('says what is missing when --processes comes without --redis, and refuses --redis with --in-memory', async () => {
    const noRedis = await runCli(['start', '--processes', '3', '--data-dir', dir], { cwd: dir });
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toContain('--processes 3 needs --redis <url>: hub processes share their state through Redis (docs/scale-out.md)');
    expect(noRedis.stderr).toContain('apt-get install redis-server');
    const inMemory = await runCli(['start', '--redis', redis.url, '--in-memory', '--data-dir', dir], { cwd: dir });
    expect(inMemory.code).toBe(1);
    expect(inMemory.stderr).toContain('--redis keeps the state in Redis; leave out --in-memory.');
  });

  it('serves one hub from two processes on the same ports, replaces one that is killed without losing state, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '--processes', '2', '--redis', redis.url, '--data-dir', join(dir, 'hub'), '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0', '--no-dashboard', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await expect.poll(() => /processes\s+2 sharing state through/.test(output), { timeout: 30_000 }).toBe(true);
    const port = Number(/HTTPS\s+https:\/\/localhost:(\d+)/.exec(output)?.[1]);
    const pids = (/hub processes ([\d, ]+)\)/.exec(output)?.[1] ?? '').split(', ').map(Number);
    expect(pids).toHaveLength(2);
    const ca = readFileSync(join(dir, 'hub', 'certs', 'ca.pem'), 'utf8');

    expect((await call(port, ca, 'PUT', '/devices/made-before', { deviceId: 'made-before' })).status).toBe(200);
    // Connections go to the processes in turn: both answer, and both know the device.
    const answers = await Promise.all(Array.from({ length: 6 }, () => call(port, ca, 'GET', '/devices/made-before')));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((a) => a.process)).size).toBe(2);

    process.kill(pids[0] as number, 'SIGKILL');
    await expect.poll(() => output.includes('a hub process died: started another'), { timeout: 20_000 }).toBe(true);
    await expect
      .poll(async () => {
        const again = await Promise.all(Array.from({ length: 4 }, () => call(port, ca, 'GET', '/devices/made-before').catch(() => ({ status: 0, process: '' }))));
        return again.every((a) => a.status === 200) && new Set(again.map((a) => a.process)).size === 2;
      }, { timeout: 30_000 })
      .toBe(true);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('runs a fleet against a hub of two processes it starts on --redis, sampling both, and says what is missing without --redis', async () => {
    const missing = await runCli(['fleet', 'run', '--devices', '5', '--hub-processes', '2'], { cwd: dir });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--hub-processes 2 needs --redis <url>');
    const run = await runCli(['fleet', 'run', '--devices', '20', '--scenario', 'telemetry-config', '--hub-processes', '2', '--redis', redis.url, '--output', 'json', '--no-progress'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.json.devices).toEqual({ planned: 20, connected: 20, converged: 20, failed: 0 });
    expect(run.json.identities).toMatchObject({ created: 20, removed: 20 });
    expect(run.json.hub.memory.maxRssMb).toBeGreaterThan(0);
  });
});
