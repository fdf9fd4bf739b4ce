import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { signSasToken, topics, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import { waitFor } from './hub-fixture.js';

const BIN = fileURLToPath(new URL('../packages/cli/bin/hubemu.js', import.meta.url));
const KEY = Buffer.alloc(32, 9).toString('base64');
const dataDir = mkdtempSync(join(tmpdir(), 'hubemu-durable-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function startHubProcess(): ChildProcess {
  const certDir = process.env.HUBEMU_E2E_CERT_DIR as string;
  const seed = join(dataDir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ devices: [{ deviceId: 'durable', primaryKey: KEY }] }));
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--seed', seed, '--cert', join(certDir, 'server.pem'), '--key', join(certDir, 'server-key.pem'), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function healthy(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: 'localhost', port: 443, path: '/health', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitHealthy(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await healthy())) {
    if (Date.now() > deadline) throw new Error('the hub process did not become healthy');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function connect(): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync('mqtts://localhost:8883', {
    clientId: 'durable',
    username: 'localhost/durable/?api-version=2021-04-12',
    password: signSasToken('localhost/devices/durable', KEY, Math.floor(Date.now() / 1000) + 3600),
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  await client.subscribeAsync(TWIN_RESPONSE_FILTER, { qos: 0 });
  return client;
}

describe('durability', () => {
  it('keeps every reported patch the hub acknowledged (204 or PUBACK) when the process is killed with SIGKILL mid-stream', async () => {
    const first = startHubProcess();
    await waitHealthy();
    const client = await connect();
    let acked = 0;
    client.on('message', (topic) => {
      const m = /\/204\/\?\$rid=(\d+)/.exec(topic);
      if (m) acked = Math.max(acked, Number(m[1]));
    });
    client.on('error', () => {});
    // Keep many patches in flight, then kill the hub while they are still arriving.
    let sent = 0;
    let pubacked = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 20 && client.connected; i++) {
        sent += 1;
        const counter = sent;
        // Every other patch goes at QoS 1: its PUBACK is an acknowledgement too.
        client.publish(topics.twinPatchReported(String(counter)), JSON.stringify({ counter }), { qos: counter % 2 === 0 ? 1 : 0 }, (error) => {
          if (!error && counter % 2 === 0) pubacked = Math.max(pubacked, counter);
        });
      }
    }, 1);
    await waitFor(() => (acked >= 500 ? true : undefined), 30_000, '500 acknowledged patches');
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    clearInterval(pump);
    const lastAcked = Math.max(acked, pubacked);
    client.end(true);
    expect(lastAcked).toBeGreaterThanOrEqual(500);
    expect(pubacked).toBeGreaterThan(0);

    startHubProcess();
    await waitHealthy();
    const again = await connect();
    const twin = await new Promise<{ reported: { counter: number; $version: number } }>((resolve) => {
      again.on('message', (topic, payload) => {
        if (topic.includes('$rid=get')) resolve(JSON.parse(payload.toString()));
      });
      again.publish(topics.twinGet('get'), '');
    });
    again.end(true);
    // Patches are applied in order; every acknowledged one is there (and maybe a few unacknowledged after it).
    expect(twin.reported.counter).toBeGreaterThanOrEqual(lastAcked);
    expect(twin.reported.$version).toBe(twin.reported.counter + 1);
  });
});
