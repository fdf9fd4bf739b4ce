import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, type Twin as DeviceTwin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { JobClient, Registry } from 'azure-iothub';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../packages/hub-emulator/test/redis-server.js';
import { waitFor } from './hub-fixture.js';

/**
 * `hubemu start --processes 2 --redis` on the real ports, driven by Microsoft's SDKs (docs/scale-out.md):
 * a hub process killed with SIGKILL while a device streams reported properties loses no acknowledged
 * write, the device's SDK reconnects to the surviving processes, and a job and a configuration created
 * through the cluster each act once per device.
 */
const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const CERTS = process.env.HUBEMU_E2E_CERT_DIR as string;
const OWNER = 'HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=aHViZW11LWlvdGh1Ym93bmVyLXByaW1hcnkta2V5LTE=';

let redis: RedisServer;
let raw: Redis;
let dir: string;
let hub: ChildProcess;
let output = '';
let pids: number[] = [];
let registry: Registry;
const devices: DeviceClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  raw = redis.client();
  dir = mkdtempSync(join(tmpdir(), 'hubemu-e2e-cluster-'));
  hub = spawn(
    process.execPath,
    [BIN, 'start', '--processes', '2', '--redis', redis.url, '--data-dir', dir, '--cert', join(CERTS, 'server.pem'), '--key', join(CERTS, 'server-key.pem'), '--no-dashboard', '--log-level', 'warn', '--configuration-interval', '200'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  hub.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  hub.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(() => (/hub processes ([\d, ]+)\)/.test(output) ? true : undefined), 30_000, `the cluster's banner (${output})`);
  pids = (/hub processes ([\d, ]+)\)/.exec(output)?.[1] ?? '').split(', ').map(Number);
  registry = Registry.fromConnectionString(OWNER);
}, 60_000);

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close().catch(() => undefined)));
  if (hub && hub.exitCode === null) {
    const exited = new Promise((resolve) => hub.once('exit', resolve));
    hub.kill('SIGTERM');
    await exited;
  }
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connectDevice(deviceId: string): Promise<{ client: DeviceClient; twin: DeviceTwin }> {
  await registry.create({ deviceId });
  const { responseBody } = await registry.get(deviceId);
  const client = DeviceClient.fromConnectionString(`HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${responseBody.authentication?.symmetricKey?.primaryKey as string}`, Mqtt);
  devices.push(client);
  await client.open();
  return { client, twin: await client.getTwin() };
}

/** The pid of the hub process holding the device's connection, from its presence record in Redis. */
async function ownerPid(deviceId: string): Promise<number> {
  // The record is committed just after the CONNACK: polled until it is there.
  let owner: string | undefined;
  await expect
    .poll(async () => {
      const record = JSON.parse((await raw.hget('hubemu:{localhost}:c:presence', deviceId)) ?? '{}') as { owner?: string; connectionState?: string };
      owner = record.connectionState === 'Connected' ? record.owner : undefined;
      return owner;
    }, { timeout: 10_000 })
    .toBeDefined();
  const pid = pids[Number(/-w(\d+)$/.exec(owner ?? '')?.[1]) - 1];
  if (pid === undefined) throw new Error(`${deviceId} is held by ${owner}, which is not one of the first hub processes`);
  return pid;
}

function report(twin: DeviceTwin, patch: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => twin.properties.reported.update(patch, (error?: Error) => (error ? reject(error) : resolve())));
}

describe('a two-process hub on Redis, with a process killed mid-stream', () => {
  it('keeps every acknowledged reported write when the process holding the device is killed, and the SDK reconnects to the other', async () => {
    const { twin, client } = await connectDevice('streamer');
    // As Microsoft's device samples do: a connection closed by the other end is opened again (the SDK retries only on errors).
    client.on('disconnect', () => void client.open().catch(() => undefined));
    const victim = await ownerPid('streamer');
    let acknowledged = 0;
    let last = 0;
    for (let i = 1; i <= 60; i++) {
      if (i === 20) process.kill(victim, 'SIGKILL');
      // A patch refused while the connection is down is sent again until the reconnected SDK gets it acknowledged.
      for (;;) {
        try {
          // The patch in flight when the process died is never answered: like an application, give up on it after a while and send again.
          await Promise.race([report(twin, { counter: i }), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 5000))]);
          acknowledged += 1;
          last = i;
          break;
        } catch {
          // Polled: the SDK refuses at once while its connection is down.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
    expect(last).toBe(60);
    const { responseBody } = await registry.getTwin('streamer');
    expect(responseBody.properties.reported.counter).toBe(60);
    // Every acknowledged patch is a stored write: none is missing from the reported $version.
    expect(responseBody.properties.reported.$version).toBeGreaterThanOrEqual(1 + acknowledged);
    // Held now by the survivor (or the replacement, which the banner did not list).
    const record = JSON.parse((await raw.hget('hubemu:{localhost}:c:presence', 'streamer')) ?? '{}') as { owner?: string };
    expect(record.owner).not.toBe(`w${pids.indexOf(victim) + 1}`);
    await waitFor(() => (output.includes('a hub process died: started another') ? true : undefined), 20_000, 'the replacement');
  }, 120_000);

  it('applies a configuration once per device and runs a twin-update job once per device', async () => {
    const ids = ['fleet-1', 'fleet-2', 'fleet-3'];
    const twins = await Promise.all(ids.map((id) => connectDevice(id)));
    const seen = new Map<string, number[]>();
    twins.forEach(({ twin }, i) => twin.on('properties.desired', (desired: { $version: number; firmware?: string }) => {
      if (desired.firmware) seen.set(ids[i] as string, [...(seen.get(ids[i] as string) ?? []), desired.$version]);
    }));
    for (const id of ids) {
      const { responseBody } = await registry.getTwin(id);
      await registry.updateTwin(id, { tags: { ring: 'canary' } }, responseBody.etag);
    }
    await registry.addConfiguration({
      id: 'fw-canary',
      schemaVersion: '1.0',
      content: { deviceContent: { 'properties.desired.firmware': '3.1' } },
      targetCondition: "tags.ring = 'canary'",
      priority: 10,
      labels: {},
    } as Parameters<Registry['addConfiguration']>[0]);
    await waitFor(() => (ids.every((id) => (seen.get(id) ?? []).length > 0) ? true : undefined), 20_000, 'the firmware on every device');
    const jobs = JobClient.fromConnectionString(OWNER);
    await jobs.scheduleTwinUpdate('tag-canary', "tags.ring = 'canary'", { tags: { rolled: true }, etag: '*' }, new Date(), 60);
    await expect.poll(async () => (await jobs.getJob('tag-canary')).jobStatus.status, { timeout: 20_000 }).toBe('completed');
    const done = (await jobs.getJob('tag-canary')).jobStatus;
    expect(done.deviceJobStatistics).toMatchObject({ deviceCount: 3, succeededCount: 3 });
    for (const id of ids) {
      const { responseBody } = await registry.getTwin(id);
      expect(responseBody.properties.desired).toMatchObject({ firmware: '3.1', $version: 2 });
      expect(responseBody.tags).toEqual({ ring: 'canary', rolled: true });
      expect(seen.get(id)).toEqual([2]);
    }
  }, 60_000);
});
