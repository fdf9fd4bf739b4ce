import { describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import type { HubEvent } from '../../src/event-hub/event-hub-types.js';
import { connectRaw } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

const cluster = testCluster(['a', 'b'], { leaseMs: 600, eventHub: { messageSources: ['twinChangeEvents'] } });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

/** Where each of the device's events sits in the log, as a reader sees it. */
const positions = (hub: Hub, deviceId: string, source = 'Telemetry'): Array<Pick<HubEvent, 'partition' | 'sequenceNumber' | 'offset' | 'enqueuedTimeMs'> & { body: string }> =>
  hub.eventHub
    .retained()
    .filter((e) => e.deviceId === deviceId && e.messageSource === source)
    .map(({ partition, sequenceNumber, offset, enqueuedTimeMs, body }) => ({ partition, sequenceNumber, offset, enqueuedTimeMs, body: body.toString() }));

describe('the Event Hubs-compatible log of a hub of several processes', () => {
  it('gives every process the telemetry sent to any of them, with the same sequence numbers, offsets and times', async () => {
    await call(a(), { method: 'PUT', path: '/devices/eh-1', body: { deviceId: 'eh-1' } });
    await call(a(), { method: 'PUT', path: '/devices/eh-2', body: { deviceId: 'eh-2' } });
    await b().settled();
    const onA = cluster.track(await connectRaw(a(), 'eh-1'));
    const onB = cluster.track(await connectRaw(b(), 'eh-2'));
    for (let i = 0; i < 3; i++) {
      // QoS 1: acknowledged once the shared log holds it.
      await onA.client.publishAsync('devices/eh-1/messages/events/', `a${i}`, { qos: 1 });
      await onB.client.publishAsync('devices/eh-2/messages/events/', `b${i}`, { qos: 1 });
    }
    for (const deviceId of ['eh-1', 'eh-2']) {
      await expect.poll(() => positions(a(), deviceId).length).toBe(3);
      await expect.poll(() => positions(b(), deviceId)).toEqual(positions(a(), deviceId));
    }
    expect(b().telemetry({ deviceId: 'eh-1' }).map((m) => m.body.toString())).toEqual(['a0', 'a1', 'a2']);
    expect(a().telemetry({ deviceId: 'eh-2' }).map((m) => m.body.toString())).toEqual(['b0', 'b1', 'b2']);
  });

  it('lets a process started later read what the others retained', async () => {
    const c = await startHub({ redis: { url: cluster.redis().url, leaseMs: 600 }, processId: 'c', inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false });
    try {
      await expect.poll(() => positions(c, 'eh-1')).toEqual(positions(a(), 'eh-1'));
      expect(c.eventHub.partitionInfo(c.eventHub.partitionOf('eh-1'))).toEqual(a().eventHub.partitionInfo(a().eventHub.partitionOf('eh-1')));
    } finally {
      await c.stop();
    }
  });

  it('publishes a twin change once for the hub, not once per process', async () => {
    await call(b(), { method: 'PATCH', path: '/twins/eh-1', body: { tags: { floor: 3 } } });
    await expect.poll(() => positions(a(), 'eh-1', 'twinChangeEvents').length).toBe(1);
    await expect.poll(() => positions(b(), 'eh-1', 'twinChangeEvents')).toEqual(positions(a(), 'eh-1', 'twinChangeEvents'));
    // A later change comes after it: had a process published the first one twice, the second would not be the next number.
    await call(a(), { method: 'PATCH', path: '/twins/eh-1', body: { tags: { floor: 4 } } });
    await expect.poll(() => positions(b(), 'eh-1', 'twinChangeEvents').length).toBe(2);
    const [first, second] = positions(b(), 'eh-1', 'twinChangeEvents');
    expect(b().eventHub.read(first?.partition ?? 0, first?.sequenceNumber ?? 0, 10).filter((e) => e.deviceId === 'eh-1' && e.messageSource === 'twinChangeEvents')).toHaveLength(2);
    expect(second?.sequenceNumber).toBeGreaterThan(first?.sequenceNumber ?? Infinity);
  });

  it('creates a consumer group through one process that the other has, and deletes it through the other', async () => {
    expect((await call(a(), { method: 'PUT', path: '/emulator/eventhub/consumergroups/analytics' })).status).toBe(201);
    await a().settled();
    await b().settled();
    expect(b().consumerGroups.list()).toContain('analytics');
    expect((await call(b(), { method: 'DELETE', path: '/emulator/eventhub/consumergroups/analytics' })).status).toBe(204);
    await b().settled();
    await a().settled();
    expect(a().consumerGroups.list()).not.toContain('analytics');
  });

  it('empties the log of every process on a reset through one, numbering on from where it was', async () => {
    const partition = a().eventHub.partitionOf('eh-1');
    const before = a().eventHub.partitionInfo(partition).lastEnqueuedSequenceNumber;
    expect((await call(b(), { method: 'POST', path: '/emulator/reset' })).status).toBe(200);
    await expect.poll(() => a().eventHub.retained()).toEqual([]);
    expect(b().eventHub.retained()).toEqual([]);
    await call(a(), { method: 'PUT', path: '/devices/eh-1', body: { deviceId: 'eh-1' } });
    await b().settled();
    const device = cluster.track(await connectRaw(b(), 'eh-1'));
    await device.client.publishAsync('devices/eh-1/messages/events/', 'after', { qos: 1 });
    await expect.poll(() => positions(a(), 'eh-1')).toEqual([expect.objectContaining({ body: 'after', sequenceNumber: before + 1 })]);
  });
});
