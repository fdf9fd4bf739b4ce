import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { call } from '../rest-api/http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

async function countOf(deviceId: string): Promise<{ get: unknown; list: unknown; twin: unknown; query: unknown }> {
  const get = await call(hub, { method: 'GET', path: `/devices/${deviceId}` });
  const list = await call(hub, { method: 'GET', path: '/devices?top=1000' });
  const twin = await call(hub, { method: 'GET', path: `/twins/${deviceId}` });
  const query = await call(hub, { method: 'POST', path: '/devices/query', body: { query: `SELECT deviceId, cloudToDeviceMessageCount FROM devices WHERE deviceId = '${deviceId}'` } });
  return {
    get: get.json.cloudToDeviceMessageCount,
    list: (list.json as Array<{ deviceId: string; cloudToDeviceMessageCount: number }>).find((d) => d.deviceId === deviceId)?.cloudToDeviceMessageCount,
    twin: twin.json.cloudToDeviceMessageCount,
    query: query.json[0]?.cloudToDeviceMessageCount,
  };
}

const all = (n: number): { get: number; list: number; twin: number; query: number } => ({ get: n, list: n, twin: n, query: n });

describe('cloudToDeviceMessageCount', () => {
  it('is the number of messages in the device queue, Enqueued and locked, in the registry, the device list, the twin and queries', async () => {
    hub.createDevice('n-count');
    expect(await countOf('n-count')).toEqual(all(0));
    for (const body of ['a', 'b', 'c']) hub.c2d.send('n-count', { body });
    expect(await countOf('n-count')).toEqual(all(3));
    // A message a device holds locked still counts; completing it does not.
    const key = parseConnectionString(hub.deviceConnectionString('n-count')).SharedAccessKey as string;
    const authorization = signSasToken(`${hub.hostName}/devices/n-count`, key, Math.floor(Date.now() / 1000) + 3600);
    const received = await call(hub, { method: 'GET', path: '/devices/n-count/messages/devicebound', authorization });
    expect(await countOf('n-count')).toEqual(all(3));
    const lock = (received.headers.etag as string).slice(1, -1);
    expect((await call(hub, { method: 'DELETE', path: `/devices/n-count/messages/devicebound/${lock}?api-version=2021-04-12`, authorization })).status).toBe(204);
    expect(await countOf('n-count')).toEqual(all(2));
    const filtered = await call(hub, { method: 'POST', path: '/devices/query', body: { query: 'SELECT deviceId FROM devices WHERE cloudToDeviceMessageCount > 1' } });
    expect(filtered.json).toEqual([{ deviceId: 'n-count' }]);
    await call(hub, { method: 'DELETE', path: '/devices/n-count/commands' });
    expect(await countOf('n-count')).toEqual(all(0));
  });

  it('starts at 0 for a device deleted with messages queued and created again', async () => {
    hub.createDevice('n-reborn');
    hub.c2d.send('n-reborn', { body: 'x' });
    expect((await countOf('n-reborn')).get).toBe(1);
    hub.registry.deleteDevice('n-reborn');
    hub.createDevice('n-reborn');
    expect(await countOf('n-reborn')).toEqual(all(0));
  });
});
