import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { assertCliBuilt, runCli, type Run } from './run-cli.js';

// Every test runs the real binary a few times; each start costs about a second on a busy machine.

let hub: Hub;
let dir: string;
let caPath: string;

beforeAll(async () => {
  assertCliBuilt();
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  dir = mkdtempSync(join(tmpdir(), 'hubemu-cli-'));
  caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, hub.caPem as string);
});
afterAll(async () => {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the built `hubemu` binary; `login` and `ca` are added unless told otherwise. */
function hubemu(args: string[], options: { login?: string | null; ca?: string | null; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const full = [...args];
  const login = options.login === undefined ? hub.connectionString() : options.login;
  if (login !== null) full.push('--login', login);
  const ca = options.ca === undefined ? caPath : options.ca;
  if (ca !== null) full.push('--ca', ca);
  return runCli(full, { cwd: options.cwd ?? dir, ...(options.env ? { env: options.env } : {}) });
}

describe('hubemu device-identity', { timeout: 60_000 }, () => {
  it('creates a device with generated keys and prints it as JSON', async () => {
    const run = await hubemu(['device-identity', 'create', '-d', 'cli-create']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ deviceId: 'cli-create', status: 'enabled', authentication: { type: 'sas' } });
    expect(Buffer.from(run.json.authentication.symmetricKey.primaryKey, 'base64')).toHaveLength(32);
    expect(hub.registry.getDevice('cli-create').etag).toBe(run.json.etag);
  });

  it('creates a disabled edge device with the keys given', async () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const run = await hubemu(['device-identity', 'create', '--device-id', 'cli-edge', '--edge-enabled', '--status', 'disabled', '--primary-key', key]);
    expect(run.json).toMatchObject({ status: 'disabled', capabilities: { iotEdge: true }, authentication: { symmetricKey: { primaryKey: key } } });
  });

  it("prints the hub's error code and message and exits 2 when the hub refuses", async () => {
    await hubemu(['device-identity', 'create', '-d', 'cli-dup']);
    const run = await hubemu(['device-identity', 'create', '-d', 'cli-dup']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("DeviceAlreadyExists (409001): A device with ID 'cli-dup' is already registered.");
  });

  it('shows, lists (json and table) and deletes devices', async () => {
    await hubemu(['device-identity', 'create', '-d', 'cli-show']);
    expect((await hubemu(['device-identity', 'show', '-d', 'cli-show'])).json.deviceId).toBe('cli-show');

    const list = await hubemu(['device-identity', 'list']);
    expect(list.json.map((d: { deviceId: string }) => d.deviceId)).toContain('cli-show');
    expect((await hubemu(['device-identity', 'list', '--top', '1'])).json).toHaveLength(1);

    const table = await hubemu(['device-identity', 'list', '-o', 'table']);
    const [header, rule, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^DeviceId\s+GenerationId\s+Etag/);
    expect(rule).toMatch(/^-+\s+-+/);
    expect(rows.some((row) => row.startsWith('cli-show '))).toBe(true);

    const deleted = await hubemu(['device-identity', 'delete', '-d', 'cli-show']);
    expect(deleted).toMatchObject({ code: 0, stdout: '' });
    const gone = await hubemu(['device-identity', 'show', '-d', 'cli-show']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('DeviceNotFound (404001): cli-show');
  });

  it('refuses to delete with a stale etag', async () => {
    const created = await hubemu(['device-identity', 'create', '-d', 'cli-etag-del']);
    hub.registry.updateDevice('cli-etag-del', { status: 'disabled' }, '*');
    const run = await hubemu(['device-identity', 'delete', '-d', 'cli-etag-del', '--etag', created.json.etag]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PreconditionFailed (412001)');
    expect(hub.registry.getDevice('cli-etag-del').deviceId).toBe('cli-etag-del');
  });

  it('deletes with -e, the short form of --etag, when the etag is current', async () => {
    const created = await hubemu(['device-identity', 'create', '-d', 'cli-etag-short']);
    hub.registry.updateDevice('cli-etag-short', { status: 'disabled' }, '*');
    const stale = await hubemu(['device-identity', 'delete', '-d', 'cli-etag-short', '-e', created.json.etag]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('PreconditionFailed (412001)');
    const current = hub.registry.getDevice('cli-etag-short').etag;
    const deleted = await hubemu(['device-identity', 'delete', '-d', 'cli-etag-short', '-e', current]);
    expect(deleted).toMatchObject({ code: 0, stdout: '' });
    expect(() => hub.registry.getDevice('cli-etag-short')).toThrow();
  });

  it('takes az\'s --pk and --sk for the keys and --am shared_private_key', async () => {
    const primary = Buffer.alloc(32, 1).toString('base64');
    const secondary = Buffer.alloc(32, 2).toString('base64');
    const run = await hubemu(['device-identity', 'create', '-d', 'cli-pk-sk', '--am', 'shared_private_key', '--pk', primary, '--sk', secondary]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.authentication).toMatchObject({ type: 'sas', symmetricKey: { primaryKey: primary, secondaryKey: secondary } });
  });

  it('refuses the x509 auth methods with a clear message and exit code 1, creating nothing', async () => {
    for (const method of ['x509_ca', 'x509_thumbprint']) {
      const run = await hubemu(['device-identity', 'create', '-d', 'cli-x509', '--auth-method', method]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${method} is not supported: hubemu creates devices with SAS keys only`);
    }
    const unknown = await hubemu(['device-identity', 'create', '-d', 'cli-x509', '--am', 'password']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Allowed choices are shared_private_key, x509_thumbprint, x509_ca');
    expect(() => hub.registry.getDevice('cli-x509')).toThrow();
  });

  it("shows a device's connection string with the primary or secondary key", async () => {
    const created = await hubemu(['device-identity', 'create', '-d', 'cli-cs']);
    const primary = await hubemu(['device-identity', 'connection-string', 'show', '-d', 'cli-cs']);
    expect(primary.json).toEqual({ connectionString: `HostName=localhost:${hub.ports.https};DeviceId=cli-cs;SharedAccessKey=${created.json.authentication.symmetricKey.primaryKey}` });
    const secondary = await hubemu(['device-identity', 'connection-string', 'show', '-d', 'cli-cs', '--key-type', 'secondary', '--host-name', `localhost:${hub.ports.mqtt}`]);
    expect(secondary.json.connectionString).toBe(`HostName=localhost:${hub.ports.mqtt};DeviceId=cli-cs;SharedAccessKey=${created.json.authentication.symmetricKey.secondaryKey}`);
  });
});

describe('hubemu device-twin', { timeout: 60_000 }, () => {
  it('updates tags and desired properties, refuses a stale etag and leaves the twin unchanged', async () => {
    hub.createDevice('cli-twin');
    const before = await hubemu(['device-twin', 'show', '-d', 'cli-twin']);
    const updated = await hubemu(['device-twin', 'update', '-d', 'cli-twin', '--desired', '{"interval": 5}', '--tags', '{"site": "oslo"}', '--etag', before.json.etag]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.json).toMatchObject({ tags: { site: 'oslo' }, properties: { desired: { interval: 5, $version: 2 } } });

    const stale = await hubemu(['device-twin', 'update', '-d', 'cli-twin', '--desired', '{"interval": 9}', '--etag', before.json.etag]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('PreconditionFailed (412001)');
    expect(hub.getTwin('cli-twin').properties.desired.interval).toBe(5);
  });

  it('deletes a key with null and replaces the tags and desired properties', async () => {
    hub.createDevice('cli-replace', { tags: { a: 1, b: 2 }, desired: { x: 1 } });
    expect((await hubemu(['device-twin', 'update', '-d', 'cli-replace', '--tags', '{"b": null}'])).json.tags).toEqual({ a: 1 });
    const twinFile = join(dir, 'twin.json');
    writeFileSync(twinFile, JSON.stringify({ tags: { c: 3 }, properties: { desired: { y: 2 } } }));
    const replaced = await hubemu(['device-twin', 'replace', '-d', 'cli-replace', '--json', twinFile]);
    expect(replaced.json.tags).toEqual({ c: 3 });
    expect(replaced.json.properties.desired.y).toBe(2);
    expect(replaced.json.properties.desired.x).toBeUndefined();
  });

  it('shows a module twin and lists twins', async () => {
    hub.createDevice('cli-mod');
    hub.registry.putModule('cli-mod', 'm1', {});
    expect((await hubemu(['device-twin', 'show', '-d', 'cli-mod', '-m', 'm1'])).json).toMatchObject({ deviceId: 'cli-mod', moduleId: 'm1' });
    const list = await hubemu(['device-twin', 'list']);
    expect(list.json.map((t: { deviceId: string }) => t.deviceId)).toEqual(expect.arrayContaining(['cli-mod', 'cli-twin']));
    expect(list.json.every((t: { properties?: unknown }) => t.properties !== undefined)).toBe(true);
  });

  it('explains malformed JSON and a missing patch with exit code 1, without calling the hub', async () => {
    hub.createDevice('cli-badjson');
    const bad = await hubemu(['device-twin', 'update', '-d', 'cli-badjson', '--desired', '{interval: 5}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--desired is not valid JSON');
    const nothing = await hubemu(['device-twin', 'update', '-d', 'cli-badjson']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('Nothing to write');
    expect(hub.getTwin('cli-badjson').properties.desired.$version).toBe(1);
  });
});

describe('hubemu invoke-device-method', { timeout: 60_000 }, () => {
  it("prints the device's status and payload", async () => {
    hub.createDevice('cli-method');
    const device = Client.fromConnectionString(hub.deviceConnectionString('cli-method'), Mqtt);
    await device.setOptions({ ca: hub.caPem } as never);
    await device.open();
    try {
      device.onDeviceMethod('reboot', (request, response) => response.send(202, { accepted: request.payload }, () => {}));
      const run = await hubemu(['invoke-device-method', '-d', 'cli-method', '--method-name', 'reboot', '--method-payload', '{"delay": 1}', '--timeout', '10', '--method-connect-timeout', '10']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toEqual({ status: 202, payload: { accepted: { delay: 1 } } });
    } finally {
      await device.close();
    }
  });

  it('reports an offline device as DeviceNotOnline (404103) with exit code 2', async () => {
    hub.createDevice('cli-offline');
    const run = await hubemu(['invoke-device-method', '-d', 'cli-offline', '--mn', 'reboot']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DeviceNotOnline (404103)');
  });

  it('refuses a timeout outside 5-300 seconds', async () => {
    const run = await hubemu(['invoke-device-method', '-d', 'x', '--method-name', 'm', '--timeout', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--timeout must be an integer from 5 to 300');
  });
});

describe('login and trust', { timeout: 60_000 }, () => {
  it('reads the connection string from HUBEMU_CONNECTION_STRING', async () => {
    hub.createDevice('cli-env');
    const run = await hubemu(['device-identity', 'show', '-d', 'cli-env'], { login: null, env: { HUBEMU_CONNECTION_STRING: hub.connectionString() } });
    expect(run.json.deviceId).toBe('cli-env');
  });

  it('says how to log in when no connection string is given', async () => {
    const run = await hubemu(['device-identity', 'list'], { login: null });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--login');
    expect(run.stderr).toContain('HUBEMU_CONNECTION_STRING');
  });

  it('refuses a device connection string as a login', async () => {
    hub.createDevice('cli-device-login');
    const run = await hubemu(['device-identity', 'list'], { login: hub.deviceConnectionString('cli-device-login') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('device connection string');
  });

  it("trusts ./.hubemu/certs/ca.pem by default, and says how to trust the hub's CA when it cannot", async () => {
    hub.createDevice('cli-trust');
    const untrusted = await hubemu(['device-identity', 'show', '-d', 'cli-trust'], { ca: null });
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toContain('cannot reach the hub');
    expect(untrusted.stderr).toContain('--ca');

    const workdir = join(dir, 'project');
    mkdirSync(join(workdir, '.hubemu', 'certs'), { recursive: true });
    writeFileSync(join(workdir, '.hubemu', 'certs', 'ca.pem'), hub.caPem as string);
    const trusted = await hubemu(['device-identity', 'show', '-d', 'cli-trust'], { ca: null, cwd: workdir });
    expect(trusted.code, trusted.stderr).toBe(0);
  });

  it("trusts .hubemu/certs/ca.pem of the nearest parent folder, as when `npm start` ran at the repo's root and the command runs below it", async () => {
    hub.createDevice('cli-trust-parent');
    const repo = join(dir, 'repo');
    const below = join(repo, 'packages', 'cli');
    mkdirSync(join(repo, '.hubemu', 'certs'), { recursive: true });
    mkdirSync(below, { recursive: true });
    writeFileSync(join(repo, '.hubemu', 'certs', 'ca.pem'), hub.caPem as string);
    const run = await hubemu(['device-identity', 'show', '-d', 'cli-trust-parent'], { ca: null, cwd: below });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.deviceId).toBe('cli-trust-parent');
  });

  it("trusts <--data-dir>/certs/ca.pem of a hub started with --data-dir, and says so when there is none", async () => {
    hub.createDevice('cli-trust-data-dir');
    const dataDir = join(dir, 'elsewhere', 'state');
    mkdirSync(join(dataDir, 'certs'), { recursive: true });
    writeFileSync(join(dataDir, 'certs', 'ca.pem'), hub.caPem as string);
    const trusted = await hubemu(['device-identity', 'show', '-d', 'cli-trust-data-dir', '--data-dir', dataDir], { ca: null });
    expect(trusted.code, trusted.stderr).toBe(0);
    const missing = await hubemu(['device-identity', 'show', '-d', 'cli-trust-data-dir', '--data-dir', join(dir, 'nowhere')], { ca: null });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(dir, 'nowhere', 'certs', 'ca.pem'));
  });

  it('reports a policy without the permission as IotHubUnauthorizedAccess', async () => {
    const run = await hubemu(['device-identity', 'create', '-d', 'cli-denied'], { login: hub.connectionString('registryRead') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('IotHubUnauthorizedAccess (401002)');
  });
});

describe('hubemu query', { timeout: 60_000 }, () => {
  it('prints the items of every page up to --top, and refuses an invalid query with the position', async () => {
    for (let i = 0; i < 5; i++) hub.createDevice(`q-${i}`, { tags: { plant: i < 3 ? 'Redmond43' : 'Dublin7' } });
    const all = await hubemu(['query', '-q', "SELECT deviceId FROM devices WHERE tags.plant = 'Redmond43'", '--page-size', '2']);
    expect(all.code).toBe(0);
    expect(all.json).toEqual([{ deviceId: 'q-0' }, { deviceId: 'q-1' }, { deviceId: 'q-2' }]);
    const top = await hubemu(['query', '-q', "SELECT deviceId FROM devices WHERE tags.plant = 'Redmond43'", '--top', '1']);
    expect(top.json).toEqual([{ deviceId: 'q-0' }]);
    const bad = await hubemu(['query', '-q', 'SELECT * FROM devices ORDER BY deviceId']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/position/);
  });
});
