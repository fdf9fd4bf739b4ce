import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, parseHubOptions, signSasToken, topics } from '@hubemu/shared';
import { createCore } from '../src/core.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { startHub, type Hub } from '../src/index.js';
import { DeviceRouter } from '../src/mqtt/device-router.js';
import type { Session } from '../src/mqtt/device-sessions.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => relative(SRC, join(file, '..', m[1] as string)));
}

describe('the core and its planes', () => {
  it('builds the core with no sockets: devices, twins and queries work over a memory store', () => {
    const core = createCore({ options: parseHubOptions({ inMemory: true }), store: new MemoryStore() });
    core.registry.createDevice('sensor-1', {});
    core.twins.updateTwin('sensor-1', undefined, { tags: { site: 'lab' } }, 'patch', { source: 'service' });
    const page = core.query.execute("SELECT deviceId FROM devices WHERE tags.site = 'lab'");
    expect(page.items).toEqual([{ deviceId: 'sensor-1' }]);
    expect(core.links.isConnected('sensor-1')).toBe(false);
    core.stop();
  });

  it('refreshes a twin once per reported PATCH from a device (the write carries the new last activity), and once per twin GET', () => {
    const core = createCore({ options: parseHubOptions({ inMemory: true }), store: new MemoryStore() });
    core.registry.createDevice('once-1', {});
    core.table.presence.connected('once-1');
    const replies: string[] = [];
    const router = new DeviceRouter(core.twins, core.methods, core.events, (_s, topic) => replies.push(topic), core.clock, core.logger, (s, refresh) =>
      core.table.presence.activity(s.deviceId, s.moduleId, refresh),
      core.admission,
      core.store,
      (message) => core.acceptTelemetry(message),
    );
    const session = { key: 'once-1', deviceId: 'once-1' } as Session;
    const changes: string[] = [];
    core.table.onChange((key) => changes.push(key));

    router.route(session, { topic: topics.twinPatchReported('1'), payload: Buffer.from('{"fw":"1.0"}'), retain: false });
    expect(changes).toEqual(['once-1']);
    expect(core.table.twin('once-1')?.properties.reported.fw).toBe('1.0');

    router.route(session, { topic: topics.twinGet('2'), payload: Buffer.alloc(0), retain: false });
    router.route(session, { topic: topics.twinPatchReported('3'), payload: Buffer.from('not json'), retain: false });
    expect(changes).toEqual(['once-1', 'once-1', 'once-1']);
    expect(replies.map((t) => t.split('/')[3])).toEqual(['204', '200', '400']);
    core.stop();
  });

  it('keeps services free of the wire: no service, store or query file imports a plane (mqtt/, http/) or the listeners', () => {
    const planes = /^(mqtt|http)\/|^listeners|^hub(-facade)?\.js$/;
    const offenders = sourceFiles(SRC)
      .filter((file) => /^(core|device-link|methods|registry|twin|jobs|configurations|query|store|auth)\b/.test(relative(SRC, file)))
      .flatMap((file) => importsOf(file).filter((target) => planes.test(target)).map((target) => `${relative(SRC, file)} -> ${target}`));
    expect(offenders).toEqual([]);
  });
});

describe('the MQTT plane over the core', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('records the model id a device announces on CONNECT as an identity update: the etag moves and identityUpdated is emitted', async () => {
    hub.createDevice('pnp-1');
    const before = hub.registry.getDevice('pnp-1').etag;
    const updated: string[] = [];
    hub.events.on('identityUpdated', (e) => updated.push(e.deviceId));
    const cs = parseConnectionString(hub.deviceConnectionString('pnp-1'));
    const client = await mqtt.connectAsync(`mqtts://localhost:${hub.ports.mqtt}`, {
      ca: hub.caPem,
      clientId: 'pnp-1',
      username: `${cs.HostName}/pnp-1/?api-version=2021-04-12&model-id=dtmi:com:example:Thermostat;1`,
      password: signSasToken(`${cs.HostName}/devices/pnp-1`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      expect(hub.getTwin('pnp-1').modelId).toBe('dtmi:com:example:Thermostat;1');
      expect(hub.registry.getDevice('pnp-1').etag).not.toBe(before);
      expect(updated).toEqual(['pnp-1']);
    } finally {
      await client.endAsync(true);
    }
  });
});
