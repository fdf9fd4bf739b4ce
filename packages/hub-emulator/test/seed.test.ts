import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub, readSeedFile } from '../src/index.js';
import { call, errorOf } from './rest-api/http-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hubemu-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const YAML_SEED = `devices:
  - deviceId: sensor-{n}
    count: 2
    tags: { site: north }
    desired: { interval: 5 }
    reported: { firmware: "1.0" }
    modules:
      - moduleId: agent
        desired: { level: debug }
configurations:
  - id: interval-10
    targetCondition: "tags.site = 'north'"
    priority: 1
    content: { deviceContent: { properties.desired.interval: 10 } }
policies:
  - name: ci
    primaryKey: Y2ktcG9saWN5LWtleS1mb3ItdGVzdHM=
    permissions: [ServiceConnect, RegistryRead]
`;

describe('seed files', () => {
  it('names the file, line and path of every problem in a YAML seed', () => {
    const path = file('bad.yaml', `devices:\n  - deviceId: ok\n  - deviceId: d2\n    colour: red\npolicies:\n  - name: p\n    primaryKey: not base64!\n    permissions: [Everything]\n`);
    expect(() => readSeedFile(path)).toThrow(
      [
        'The seed is not valid:',
        `${path}:3: devices.1: Unrecognized key: "colour"`,
        `${path}:7: policies.0.primaryKey: must be a base64 key`,
        `${path}:8: policies.0.permissions.0: Invalid option: expected one of "RegistryRead"|"RegistryWrite"|"ServiceConnect"|"DeviceConnect"`,
      ].join('\n'),
    );
  });

  it('names lines in a JSON seed too, and the line of a syntax error', () => {
    const json = file('bad.json', '{\n  "devices": [\n    { "deviceId": "d1", "count": 0 }\n  ]\n}\n');
    expect(() => readSeedFile(json)).toThrow(`${json}:3: devices.0.count: Too small: expected number to be >=1`);
    const broken = file('broken.json', '{\n  "devices": [\n    { "deviceId": "d1", }\n  ]\n');
    expect(() => readSeedFile(broken)).toThrow(`${broken}:5: Flow map must end with a }`);
  });

  it('refuses a seed given as data with the path of the problem', async () => {
    await expect(startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, seed: { devices: [{ deviceId: 'd1', tags: 'nope' }] } })).rejects.toThrow(
      /Invalid seed: .*devices\.0\.tags/,
    );
  });

  it('creates devices, modules, twins, configurations and policies from a file, and again after a reset with the same keys', async () => {
    const hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, seed: file('fleet.yaml', YAML_SEED) });
    try {
      const twin = hub.getTwin('sensor-2');
      expect(twin.tags).toEqual({ site: 'north' });
      expect(twin.properties.reported).toMatchObject({ firmware: '1.0' });
      expect(hub.getTwin('sensor-1', 'agent').properties.desired).toMatchObject({ level: 'debug' });
      expect(hub.configurations.get('interval-10').priority).toBe(1);
      await hub.configurations.evaluateNow();
      expect(hub.getTwin('sensor-1').properties.desired).toMatchObject({ interval: 10 });

      // The seeded policy signs REST calls with exactly its permissions.
      expect((await call(hub, { method: 'GET', path: '/twins/sensor-1', policy: 'ci' })).status).toBe(200);
      const refused = await call(hub, { method: 'DELETE', path: '/devices/sensor-1', policy: 'ci', headers: { 'If-Match': '*' } });
      expect([refused.status, errorOf(refused).name]).toEqual([401, 'IotHubUnauthorizedAccess']);
      expect(hub.connectionString('ci')).toContain('SharedAccessKeyName=ci;');

      const before = hub.deviceConnectionString('sensor-1', { moduleId: 'agent' });
      hub.createDevice('extra');
      await hub.reset();
      expect(hub.deviceConnectionString('sensor-1', { moduleId: 'agent' })).toBe(before);
      expect(() => hub.getTwin('extra')).toThrow();
      expect(hub.configurations.list().map((c) => c.id)).toEqual(['interval-10']);
    } finally {
      await hub.stop();
    }
  });
});
