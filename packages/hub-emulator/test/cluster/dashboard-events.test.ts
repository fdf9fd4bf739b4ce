import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { openEventStream, type OpenStream } from '../dashboard/event-stream-client.js';
import { connectRaw } from '../raw-device.js';
import { call, errorOf, policyToken } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

/** A stand-in for the built dashboard: the hub serves whatever folder it is given. */
const dashboardDir = mkdtempSync(join(tmpdir(), 'hubemu-cluster-dashboard-'));
mkdirSync(join(dashboardDir, 'assets'));
writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>hubemu dashboard</title>');
afterAll(() => rmSync(dashboardDir, { recursive: true, force: true }));

const cluster = testCluster(['a', 'b'], { leaseMs: 600, dashboard: true, dashboardDir });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

const streams: OpenStream[] = [];
afterAll(() => streams.forEach((s) => s.close()));

async function open(hub: Hub, policy: string): Promise<OpenStream> {
  const stream = await openEventStream(hub, policyToken(hub, policy));
  streams.push(stream);
  expect(stream.status).toBe(200);
  return stream;
}

const named = (stream: OpenStream, name: string): unknown[] => stream.events.filter((e) => e.name === name).map((e) => e.data);

describe("the dashboard's live events on a hub of several processes", () => {
  it("shows a dashboard on one process the other's connections, requests and telemetry, and each twin change once", async () => {
    const service = await open(b(), 'service');
    const reader = await open(b(), 'registryRead');
    await call(a(), { method: 'PUT', path: '/devices/live-a', body: { deviceId: 'live-a' } });
    // The other process learns within a second that a dashboard listens; until then nothing is published.
    await expect
      .poll(
        async () => {
          await call(a(), { method: 'GET', path: '/devices/live-a' });
          return (named(service, 'request') as Array<{ operation: string }>).some((r) => r.operation === 'GET /devices/:deviceId');
        },
        { timeout: 5_000 },
      )
      .toBe(true);

    const device = cluster.track(await connectRaw(a(), 'live-a'));
    await device.client.publishAsync('devices/live-a/messages/events/', JSON.stringify({ temperature: 21 }), { qos: 1 });
    await device.client.publishAsync('$iothub/twin/PATCH/properties/reported/?$rid=1', JSON.stringify({ firmware: '1.2' }), { qos: 0 });
    await expect.poll(() => named(service, 'telemetry')).toEqual([expect.objectContaining({ deviceId: 'live-a', body: '{"temperature":21}' })]);
    expect(named(service, 'deviceConnected')).toEqual([expect.objectContaining({ deviceId: 'live-a' })]);
    await expect.poll(() => named(service, 'twinUpdated')).toHaveLength(1);
    expect(named(service, 'twinUpdated')).toEqual([expect.objectContaining({ deviceId: 'live-a' })]);
    // Telemetry only to a login allowed to read it, wherever it was sent.
    expect(named(reader, 'deviceConnected')).toHaveLength(1);
    expect(named(reader, 'telemetry')).toEqual([]);
  });

  it("takes the banner's one-time login link, minted by one process, through the other, once", async () => {
    const hub = a();
    if (hub.dashboard.state !== 'ready') throw new Error(`dashboard is ${hub.dashboard.state}`);
    const login = new URL(hub.dashboard.loginUrl()).hash.replace('#login=', '');
    await hub.settled();
    await b().settled();
    const session = await call(b(), { method: 'POST', path: '/dashboard/session', body: { login }, policy: null });
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({ policyName: 'iothubowner' });
    await b().settled();
    await a().settled();
    const again = await call(a(), { method: 'POST', path: '/dashboard/session', body: { login }, policy: null });
    expect([again.status, errorOf(again).header]).toEqual([401, 'IotHubUnauthorized']);
  });
});

