import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { call } from '../rest-api/http-helpers.js';
import { methodFleet } from './method-fleet.js';

const dataDir = mkdtempSync(join(tmpdir(), 'hubemu-jobs-'));
const options = { dataDir, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 };
let hub: Hub | undefined;

afterAll(async () => {
  await hub?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('jobs and configurations across a restart of a durable hub', () => {
  it('fails the job that was running, keeps the scheduled one, and keeps configurations applied', async () => {
    hub = await startHub(options);
    for (const id of ['keep-1', 'keep-2', 'keep-3']) hub.createDevice(id, { tags: { site: 'plant' } });
    const fleet = await methodFleet(hub, ['keep-1', 'keep-2', 'keep-3'], { held: true });
    await call(hub, { method: 'PUT', path: '/jobs/v2/interrupted', body: { type: 'scheduleDeviceMethod', cloudToDeviceMethod: { methodName: 'flash', responseTimeoutInSeconds: 60 }, queryCondition: "tags.site = 'plant'", startTime: null } });
    await call(hub, { method: 'PUT', path: '/jobs/v2/tomorrow', body: { type: 'scheduleUpdateTwin', queryCondition: '*', updateTwin: { properties: { desired: { later: true } }, etag: '*' }, startTime: new Date(Date.now() + 86_400_000).toISOString() } });
    await call(hub, { method: 'PUT', path: '/configurations/plant', body: { content: { deviceContent: { 'properties.desired.mode': 'eco' } }, targetCondition: "tags.site = 'plant'", priority: 1 } });
    await expect.poll(() => fleet.received, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => hub?.getTwin('keep-1').configurations?.plant?.status, { timeout: 10_000 }).toBe('Applied');
    await hub.stop();
    await fleet.close();

    hub = await startHub(options);
    const interrupted = (await call(hub, { method: 'GET', path: '/jobs/v2/interrupted' })).json;
    expect(interrupted).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/hub stopped while the job was running/), deviceJobStatistics: { deviceCount: 3, failedCount: 3, runningCount: 0, pendingCount: 0 } });
    const rows = (await call(hub, { method: 'POST', path: '/devices/query', body: { query: "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'interrupted'" } })).json as Array<{ status: string; error?: { code: string } }>;
    expect(rows.map((r) => [r.status, r.error?.code])).toEqual([
      ['failed', 'JobInterrupted'],
      ['failed', 'JobInterrupted'],
      ['failed', 'JobInterrupted'],
    ]);
    expect((await call(hub, { method: 'GET', path: '/jobs/v2/tomorrow' })).json).toMatchObject({ status: 'queued', deviceJobStatistics: { deviceCount: 0 } });

    const configuration = (await call(hub, { method: 'GET', path: '/configurations/plant' })).json;
    expect(configuration).toMatchObject({ id: 'plant', etag: 'MQ==', content: { deviceContent: { 'properties.desired.mode': 'eco' } } });
    expect(hub.getTwin('keep-2').configurations).toEqual({ plant: { status: 'Applied' } });
    await expect.poll(async () => (await call(hub as Hub, { method: 'GET', path: '/configurations/plant' })).json.systemMetrics.results, { timeout: 10_000 }).toEqual({ targetedCount: 3, appliedCount: 3 });

    // Still evaluated after the restart: a new device in the plant gets the content.
    hub.createDevice('keep-4', { tags: { site: 'plant' } });
    await expect.poll(() => hub?.getTwin('keep-4').properties.desired.mode, { timeout: 10_000 }).toBe('eco');
  });
});
