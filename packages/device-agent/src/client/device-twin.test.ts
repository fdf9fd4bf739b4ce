import { DESIRED_PATCH_FILTER, parseDeviceTopic, topics } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { ManualScheduler, flushAsyncWork } from '../scheduler/manual-scheduler.js';
import { FakeMqttHub } from '../testing/fake-mqtt-hub.js';
import { DeviceClient } from './device-client.js';
import type { DesiredChange } from './twin-sync-state.js';

const KEY = Buffer.from('k').toString('base64');

async function connected() {
  const hub = new FakeMqttHub();
  const scheduler = new ManualScheduler();
  const client = new DeviceClient({
    connectionString: `HostName=localhost;DeviceId=d1;SharedAccessKey=${KEY}`,
    connector: hub.connector,
    scheduler,
    reconnect: { initialDelayMs: 100, jitter: 0 },
  });
  await client.open();
  return { hub, scheduler, client };
}

describe('DeviceClient.twin()', () => {
  it('subscribes to desired notifications before it sends the GET', async () => {
    const { hub, client } = await connected();
    const steps: string[] = [];
    const original = hub.receive.bind(hub);
    hub.receive = (p, c) => (steps.push(`publish ${p.topic.split('?')[0]}`), original(p, c));
    const subscribe = hub.subscribes.push.bind(hub.subscribes);
    hub.subscribes.push = (...items) => (steps.push(...items.map((s) => `subscribe ${s.filters.join(',')}`)), subscribe(...items));
    await client.twin();
    expect(steps.slice(0, 2)).toEqual([`subscribe ${DESIRED_PATCH_FILTER}`, 'subscribe $iothub/twin/res/#']);
    expect(steps[2]).toBe('publish $iothub/twin/GET/');
  });

  it('keeps a local copy with the GET result and applies fresh notifications', async () => {
    const { hub, client } = await connected();
    hub.twin('d1').desired = { a: 1 };
    hub.twin('d1').desiredVersion = 4;
    const twin = await client.twin();
    expect(twin.desired).toEqual({ a: 1 });
    expect(twin.desiredVersion).toBe(4);
    const change = new Promise<DesiredChange>((resolve) => twin.once('desired', resolve));
    hub.patchDesired('d1', { b: 2 });
    expect(await change).toMatchObject({ source: 'patch', version: 5, patch: { b: 2 }, desired: { a: 1, b: 2 } });
  });

  it('drops notifications that arrive during the GET with a $version not above the GET', async () => {
    const { hub, client } = await connected();
    hub.autoRespond = false;
    const started = client.twin();
    const get = await hub.nextPublish((p) => p.topic.includes('/GET/'), true);
    const rid = (parseDeviceTopic(get.topic) as { rid: string }).rid;
    hub.notify('d1', { a: 'old', $version: 5 });
    hub.notify('d1', { a: 'new', $version: 6 });
    await flushAsyncWork();
    hub.send('d1', topics.twinResponse(200, rid), JSON.stringify({ desired: { a: 'get', $version: 5 }, reported: { $version: 1 } }));
    const twin = await started;
    await flushAsyncWork();
    expect(twin.desired).toEqual({ a: 'new' });
    expect(twin.desiredVersion).toBe(6);
  });

  it('never emits a stale notification', async () => {
    const { hub, client } = await connected();
    hub.twin('d1').desiredVersion = 9;
    const twin = await client.twin();
    const seen: number[] = [];
    twin.on('desired', (c) => seen.push(c.version));
    hub.notify('d1', { x: 1, $version: 8 });
    hub.notify('d1', { x: 2, $version: 9 });
    hub.notify('d1', { x: 3, $version: 10 });
    await flushAsyncWork();
    expect(seen).toEqual([10]);
  });

  it('syncs again after a reconnect and reports the missed change as a sync', async () => {
    const { hub, scheduler, client } = await connected();
    const twin = await client.twin();
    const changes: DesiredChange[] = [];
    twin.on('desired', (c) => changes.push(c));
    hub.drop('d1');
    hub.twin('d1').desired = { missed: true };
    hub.twin('d1').desiredVersion = 3;
    await scheduler.advance(100);
    await flushAsyncWork();
    expect(changes).toEqual([expect.objectContaining({ source: 'sync', version: 3, desired: { missed: true }, gap: true })]);
  });

  it('GETs again when a notification skips versions', async () => {
    const { hub, client } = await connected();
    const twin = await client.twin();
    const gets = () => hub.published.filter((p) => p.topic.includes('/GET/')).length;
    expect(gets()).toBe(1);
    hub.twin('d1').desiredVersion = 4;
    hub.notify('d1', { jump: 1, $version: 4 });
    await flushAsyncWork();
    await flushAsyncWork();
    expect(gets()).toBe(2);
    expect(twin.desiredVersion).toBe(4);
  });

  it('records its own reported patches in the local copy', async () => {
    const { client } = await connected();
    const twin = await client.twin();
    const { version } = await twin.updateReported({ temp: 21 });
    expect(twin.reported).toEqual({ temp: 21 });
    expect(twin.reportedVersion).toBe(version);
  });

  it('also records patches sent with client.updateReported', async () => {
    const { client } = await connected();
    const twin = await client.twin();
    await client.updateReported({ direct: true });
    expect(twin.reported).toEqual({ direct: true });
  });

  it('returns the same twin on every call', async () => {
    const { client } = await connected();
    expect(await client.twin()).toBe(await client.twin());
  });
});
