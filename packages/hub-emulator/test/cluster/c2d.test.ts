import { describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, topics } from '@hubemu/shared';
import type { Hub } from '../../src/index.js';
import { connectRaw } from '../raw-device.js';
import { call, type RawCall } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

const cluster = testCluster(['a', 'b'], { leaseMs: 600 });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

/** A device HTTPS call through `hub`, signed with the device's own key as azure-iot-device-http signs it. */
function deviceCall(hub: Hub, deviceId: string, input: Omit<RawCall, 'authorization' | 'policy'>): ReturnType<typeof call> {
  const key = parseConnectionString(hub.deviceConnectionString(deviceId)).SharedAccessKey as string;
  const token = signSasToken(`${hub.hostName}/devices/${encodeURIComponent(deviceId)}`, key, Math.floor(Date.now() / 1000) + 3600);
  return call(hub, { ...input, authorization: token });
}

const sequences = (hub: Hub, deviceId: string): number[] => hub.c2d.pending(deviceId).map((m) => m.sequenceNumber);

describe('cloud-to-device messages across the processes of a hub', () => {
  it('delivers a message sent through one process to the device connected to the other, whose PUBACK completes it everywhere', async () => {
    await call(a(), { method: 'PUT', path: '/devices/c-push', body: { deviceId: 'c-push' } });
    const device = cluster.track(await connectRaw(a(), 'c-push', { subscribe: [topics.c2dFilter('c-push')], qos: 1 }));
    await b().settled();
    b().c2d.send('c-push', { body: 'from b', messageId: 'm-1' });
    await expect.poll(() => device.messages.map((m) => m.body)).toEqual(['from b']);
    // The PUBACK on A settles the message; B's copy of the queue follows.
    await expect.poll(() => a().c2d.pending('c-push')).toEqual([]);
    await expect.poll(() => b().c2d.pending('c-push')).toEqual([]);
  });

  it('lets a device that polls over HTTPS take a message through one process and complete it through the other', async () => {
    await call(a(), { method: 'PUT', path: '/devices/c-poll', body: { deviceId: 'c-poll' } });
    await b().settled();
    b().c2d.send('c-poll', { body: 'first' });
    b().c2d.send('c-poll', { body: 'second' });
    await b().settled();
    await expect.poll(() => sequences(a(), 'c-poll')).toHaveLength(2);
    const taken = await deviceCall(a(), 'c-poll', { method: 'GET', path: '/devices/c-poll/messages/devicebound' });
    expect(taken.status).toBe(200);
    expect(taken.text).toBe('first');
    const lockToken = String(taken.headers.etag).replace(/"/g, '');
    // The lock travels with the message: B shows it locked, and does not hand it out again.
    await expect.poll(() => b().c2d.pending('c-poll')[0]?.lockedUntilMs).toBeGreaterThan(Date.now());
    const next = await deviceCall(b(), 'c-poll', { method: 'GET', path: '/devices/c-poll/messages/devicebound' });
    expect(next.text).toBe('second');
    expect((await deviceCall(b(), 'c-poll', { method: 'DELETE', path: `/devices/c-poll/messages/devicebound/${lockToken}` })).status).toBe(204);
    await expect.poll(() => a().c2d.pending('c-poll').map((m) => m.body.toString())).toEqual(['second']);
  });

  it('numbers messages sent through both processes at once without giving a sequence number twice', async () => {
    await call(a(), { method: 'PUT', path: '/devices/c-race', body: { deviceId: 'c-race' } });
    await b().settled();
    for (let i = 0; i < 8; i++) {
      a().c2d.send('c-race', { body: `a${i}` });
      b().c2d.send('c-race', { body: `b${i}` });
    }
    // A send another process overtook runs again on the newer queue: every message is kept, each with its own number.
    await expect.poll(() => sequences(a(), 'c-race').length, { timeout: 10_000 }).toBe(16);
    expect(new Set(sequences(a(), 'c-race')).size).toBe(16);
    await expect.poll(() => sequences(b(), 'c-race')).toEqual(sequences(a(), 'c-race'));
    expect(new Set(a().c2d.pending('c-race').map((m) => m.body.toString())).size).toBe(16);
  });

  it('purges through one process what was queued through the other, and both count the queue for the device', async () => {
    await call(a(), { method: 'PUT', path: '/devices/c-purge', body: { deviceId: 'c-purge' } });
    await b().settled();
    for (const body of ['1', '2', '3']) a().c2d.send('c-purge', { body });
    await a().settled();
    await expect.poll(async () => (await call(b(), { method: 'GET', path: '/devices/c-purge' })).json).toMatchObject({ cloudToDeviceMessageCount: 3 });
    const purged = await call(b(), { method: 'DELETE', path: '/devices/c-purge/commands' });
    expect(purged.json).toEqual({ totalMessagesPurged: 3, deviceId: 'c-purge' });
    await expect.poll(async () => (await call(a(), { method: 'GET', path: '/devices/c-purge' })).json).toMatchObject({ cloudToDeviceMessageCount: 0 });
    expect(a().c2d.pending('c-purge')).toEqual([]);
  });

  it('forgets the queue of a device deleted through the other process, and a device created again under its id starts empty', async () => {
    await call(a(), { method: 'PUT', path: '/devices/c-gone', body: { deviceId: 'c-gone' } });
    await b().settled();
    a().c2d.send('c-gone', { body: 'lost' });
    await a().settled();
    await expect.poll(() => sequences(b(), 'c-gone')).toEqual([1]);
    expect((await call(b(), { method: 'DELETE', path: '/devices/c-gone', headers: { 'If-Match': '*' } })).status).toBe(204);
    await call(b(), { method: 'PUT', path: '/devices/c-gone', body: { deviceId: 'c-gone' } });
    await a().settled();
    await expect.poll(async () => (await call(a(), { method: 'GET', path: '/devices/c-gone' })).json).toMatchObject({ cloudToDeviceMessageCount: 0 });
    expect(a().c2d.pending('c-gone')).toEqual([]);
  });
});
