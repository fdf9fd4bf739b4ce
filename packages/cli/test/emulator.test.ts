import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { parseConnectionString, signSasToken } from '@hubemu/shared';
import { cliTestHub, runCli } from './run-cli.js';

const cli = cliTestHub({ seed: { devices: [{ deviceId: 'cli-{n}', count: 2, modules: [{ moduleId: 'm1' }] }] } }, ['emulator']);
const { hubemu } = cli;

/** Connects a device (or module) over MQTT; `gone` resolves when the hub closes the connection. */
async function connect(deviceId: string, moduleId?: string): Promise<{ gone: Promise<void> }> {
  const cs = parseConnectionString(cli.hub.deviceConnectionString(deviceId, moduleId === undefined ? {} : { moduleId }));
  const clientId = moduleId === undefined ? deviceId : `${deviceId}/${moduleId}`;
  const client = await mqtt.connectAsync(`mqtts://localhost:${cli.hub.ports.mqtt}`, {
    ca: cli.hub.caPem,
    clientId,
    username: `${cs.HostName}/${clientId}/?api-version=2021-04-12`,
    password: signSasToken(`${cs.HostName}/devices/${clientId.replace('/', '/modules/')}`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600),
    reconnectPeriod: 0,
  });
  return { gone: new Promise<void>((resolve) => client.once('close', () => resolve())) };
}

describe('hubemu emulator', { timeout: 60_000 }, () => {
  it('reset: drops connections and puts the seeded state back', async () => {
    cli.hub.createDevice('cli-extra');
    const { gone } = await connect('cli-1');
    const run = await hubemu(['reset']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ devices: 2, disconnected: 1 });
    await gone;
    expect(cli.hub.registry.statistics().totalDeviceCount).toBe(2);
  });

  it('traffic: prints the filtered record as JSON, a table or JSON lines', async () => {
    await cli.hub.reset();
    cli.hub.updateTwin('cli-1', { tags: { a: 1 } });
    await runCli(['device-twin', 'show', '-d', 'cli-2', '--login', cli.hub.connectionString(), '--ca', cli.caPath], { cwd: cli.dir });
    const json = await hubemu(['traffic', '--device-id', 'cli-2']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json).toMatchObject({ dropped: 0, records: [{ plane: 'http', operation: 'GET /twins/:deviceId', deviceId: 'cli-2', status: 200 }] });
    const lines = await hubemu(['traffic', '--operation', 'GET *', '--jsonl']);
    expect(lines.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { deviceId: string }).deviceId)).toEqual(['cli-2']);
    const table = await hubemu(['traffic', '--plane', 'http', '-o', 'table']);
    expect(table.stdout).toMatch(/^Seq +At +Plane +Direction +DeviceId .*\n-+/);
    expect(table.stdout).toContain('GET /twins/:deviceId');
  });

  it('traffic: refuses a bad filter before calling the hub', async () => {
    const run = await hubemu(['traffic', '--since', 'yesterday']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--since: must be an ISO 8601 time');
  });

  it('disconnect: drops a device or a module, says whether it was connected, and exits 2 for an unknown one', async () => {
    const { gone } = await connect('cli-2', 'm1');
    const run = await hubemu(['disconnect', '-d', 'cli-2', '-m', 'm1']);
    expect([run.code, run.json]).toEqual([0, { disconnected: true }]);
    await gone;
    expect((await hubemu(['disconnect', '-d', 'cli-2'])).json).toEqual({ disconnected: false });
    const unknown = await hubemu(['disconnect', '-d', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('DeviceNotFound (404001)');
  });

  it('is refused to a policy without every permission, with exit code 2', async () => {
    const run = await hubemu(['reset'], 'service');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('IotHubUnauthorizedAccess');
  });
});

describe('hubemu start --seed', { timeout: 60_000 }, () => {
  it('refuses a seed file naming its line and path, before binding anything', async () => {
    const seed = join(cli.dir, 'bad-seed.yaml');
    writeFileSync(seed, 'devices:\n  - deviceId: a\n    count: -1\n');
    const run = await runCli(['start', '--in-memory', '--seed', seed, '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0', '--data-dir', cli.dir], { cwd: cli.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${seed}:3: devices.0.count: Too small: expected number to be >=1`);
  });
});
