import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceClient } from '@hubemu/device-agent';
import { cliTestHub } from './run-cli.js';

const cli = cliTestHub({ configurationIntervalMs: 50 });
const { hubemu } = cli;
const devices: DeviceClient[] = [];

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
});

/** A device connected with our device client, answering `method` with `answer` (or never, when it is undefined). */
async function connectedDevice(deviceId: string, method: string, answer?: (payload: unknown) => { status: number; payload: any }): Promise<DeviceClient> {
  const device = new DeviceClient({ connectionString: cli.hub.deviceConnectionString(deviceId), ca: cli.hub.caPem });
  devices.push(device);
  await device.open();
  await device.onMethod(method, (payload) => (answer ? answer(payload) : new Promise(() => {})));
  return device;
}

describe('hubemu job', { timeout: 60_000 }, () => {
  it('creates a twin-update job, waits for it and prints it completed with its statistics', async () => {
    for (const n of [1, 2, 3]) cli.hub.createDevice(`job-twin-${n}`, { tags: { building: '43' } });
    cli.hub.createDevice('job-twin-elsewhere', { tags: { building: '7' } });
    const run = await hubemu([
      'job', 'create', '--job-id', 'cli-set-floor', '--job-type', 'scheduleUpdateTwin',
      '-q', "tags.building = '43'", '--twin-patch', '{"properties": {"desired": {"targetTemperature": 21}}}', '--wait', '--poll-interval', '1',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      jobId: 'cli-set-floor',
      type: 'scheduleUpdateTwin',
      status: 'completed',
      queryCondition: "tags.building = '43'",
      maxExecutionTimeInSeconds: 3600,
      updateTwin: { properties: { desired: { targetTemperature: 21 } }, etag: '*' },
      deviceJobStatistics: { deviceCount: 3, succeededCount: 3, failedCount: 0, pendingCount: 0, runningCount: 0 },
    });
    expect(cli.hub.getTwin('job-twin-2').properties.desired.targetTemperature).toBe(21);
    expect(cli.hub.getTwin('job-twin-elsewhere').properties.desired.targetTemperature).toBeUndefined();
  });

  it('runs a method job on an online and an offline device; the rows show each outcome', async () => {
    cli.hub.createDevice('job-m-online');
    cli.hub.createDevice('job-m-offline');
    await connectedDevice('job-m-online', 'reboot', (payload) => ({ status: 200, payload: { rebooting: true, asked: payload } }));
    const run = await hubemu([
      'job', 'create', '--job-id', 'cli-reboot', '--jt', 'scheduleDeviceMethod', '-q', "deviceId IN ['job-m-online', 'job-m-offline']",
      '--method-name', 'reboot', '--method-payload', '{"delay": 1}', '--mrt', '10', '--method-connect-timeout', '0', '--ttl', '120', '-w', '--interval', '1',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      status: 'completed',
      maxExecutionTimeInSeconds: 120,
      cloudToDeviceMethod: { methodName: 'reboot', payload: { delay: 1 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 0 },
      deviceJobStatistics: { deviceCount: 2, succeededCount: 1, failedCount: 1 },
    });
    const rows = await hubemu(['query', '-q', "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'cli-reboot'"]);
    expect(rows.code, rows.stderr).toBe(0);
    const byDevice = Object.fromEntries(rows.json.map((row: { deviceId: string }) => [row.deviceId, row]));
    expect(byDevice['job-m-online']).toMatchObject({ status: 'completed', outcome: { deviceMethodResponse: { status: 200, payload: { rebooting: true, asked: { delay: 1 } } } } });
    expect(byDevice['job-m-offline']).toMatchObject({ status: 'failed', error: { code: 'DeviceNotOnline' } });
  });

  it('schedules a job for later, shows it, finds it by status and cancels it', async () => {
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const created = await hubemu(['job', 'create', '--job-id', 'cli-later', '--jt', 'scheduleUpdateTwin', '-q', '*', '--patch', '{"tags": {"batch": 2}}', '--start-time', start]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toMatchObject({ jobId: 'cli-later', status: 'queued', startTime: start.replace('Z', '0000Z') });
    expect((await hubemu(['job', 'show', '--job-id', 'cli-later'])).json.status).toBe('queued');

    const waiting = await hubemu(['job', 'list', '--job-status', 'queued']);
    expect(waiting.json.map((job: { jobId: string }) => job.jobId)).toEqual(['cli-later']);

    const cancelled = await hubemu(['job', 'cancel', '--job-id', 'cli-later']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.json).toMatchObject({ jobId: 'cli-later', status: 'cancelled' });

    const table = await hubemu(['job', 'list', '--jt', 'scheduleUpdateTwin', '--js', 'cancelled', '-o', 'table']);
    const [header, , ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^JobId\s+QueryCondition\s+CreatedTime\s+StartTime\s+EndTime\s+MaxExecutionTimeInSeconds\s+Type\s+Status$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^cli-later\s+\*\s+.*scheduleUpdateTwin\s+cancelled$/);
  });

  it('lists every job oldest first, up to --top', async () => {
    const all = await hubemu(['job', 'list']);
    expect(all.code, all.stderr).toBe(0);
    const ids = all.json.map((job: { jobId: string }) => job.jobId);
    expect(ids.slice(0, 3)).toEqual(['cli-set-floor', 'cli-reboot', 'cli-later']);
    expect((await hubemu(['job', 'list', '--top', '2'])).json.map((job: { jobId: string }) => job.jobId)).toEqual(['cli-set-floor', 'cli-reboot']);
  });

  it('stops waiting after --poll-duration and prints the job as it is, like az', async () => {
    cli.hub.createDevice('job-silent');
    await connectedDevice('job-silent', 'hang');
    const run = await hubemu(['job', 'create', '--job-id', 'cli-slow', '--jt', 'scheduleDeviceMethod', '-q', "deviceId = 'job-silent'", '--mn', 'hang', '--mrt', '5', '-w', '--poll-duration', '1', '--poll-interval', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ jobId: 'cli-slow', status: 'running', deviceJobStatistics: { deviceCount: 1, runningCount: 1 } });
    expect(run.stderr).toContain("hubemu: The job 'cli-slow' did not finish within 1000 ms (status running, 0 of 1 device(s) done). Showing its current state.");
  });

  it('reports a duplicate job id, an unknown job and a bad condition as hub errors with exit code 2', async () => {
    const duplicate = await hubemu(['job', 'create', '--job-id', 'cli-set-floor', '--jt', 'scheduleUpdateTwin', '-q', '*', '--twin-patch', '{"tags": {"a": 1}}']);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain("JobAlreadyExists (409007): A job with ID 'cli-set-floor' already exists.");
    const unknown = await hubemu(['job', 'show', '--job-id', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("JobNotFound (404002): The job 'nobody' does not exist.");
    const badCondition = await hubemu(['job', 'create', '--job-id', 'cli-bad-q', '--jt', 'scheduleUpdateTwin', '-q', 'tags.a = = 1', '--twin-patch', '{"tags": {"a": 1}}']);
    expect(badCondition.code).toBe(2);
    expect(badCondition.stderr).toMatch(/position/);
  });

  it('explains missing or malformed job flags with exit code 1, without creating a job', async () => {
    const noPatch = await hubemu(['job', 'create', '--job-id', 'cli-u1', '--jt', 'scheduleUpdateTwin', '-q', '*']);
    expect(noPatch).toMatchObject({ code: 1, stdout: '' });
    expect(noPatch.stderr).toContain('A scheduleUpdateTwin job needs --twin-patch.');
    const noMethod = await hubemu(['job', 'create', '--job-id', 'cli-u2', '--jt', 'scheduleDeviceMethod', '-q', '*']);
    expect(noMethod.stderr).toContain('A scheduleDeviceMethod job needs --method-name.');
    const emptyPatch = await hubemu(['job', 'create', '--job-id', 'cli-u3', '--jt', 'scheduleUpdateTwin', '-q', '*', '--twin-patch', '{"desired": {"x": 1}}']);
    expect(emptyPatch.stderr).toContain('--twin-patch must carry tags and/or properties.desired');
    const badStart = await hubemu(['job', 'create', '--job-id', 'cli-u4', '--jt', 'scheduleUpdateTwin', '-q', '*', '--twin-patch', '{"tags": {}}', '--start-time', 'tomorrow']);
    expect(badStart.code).toBe(1);
    expect(badStart.stderr).toContain('--start-time must be an ISO-8601 date and time');
    const badType = await hubemu(['job', 'create', '--job-id', 'cli-u5', '--jt', 'export', '-q', '*']);
    expect(badType.code).toBe(1);
    expect(badType.stderr).toContain('Allowed choices are scheduleUpdateTwin, scheduleDeviceMethod');
    const badTimeout = await hubemu(['job', 'create', '--job-id', 'cli-u6', '--jt', 'scheduleDeviceMethod', '-q', '*', '--mn', 'm', '--mrt', '1']);
    expect(badTimeout.stderr).toContain('--method-response-timeout must be an integer from 5 to 300');
    const ids = (await hubemu(['job', 'list'])).json.map((job: { jobId: string }) => job.jobId);
    expect(ids.filter((id: string) => id.startsWith('cli-u'))).toEqual([]);
  });
});

describe('hubemu configuration', { timeout: 60_000 }, () => {
  const firmware = "SELECT deviceId FROM devices WHERE tags.environment = 'test'";

  it('creates a configuration that reaches the targeted twins and shows its metrics', async () => {
    for (const n of [1, 2, 3]) cli.hub.createDevice(`cfg-test-${n}`, { tags: { environment: 'test' } });
    cli.hub.createDevice('cfg-prod-1', { tags: { environment: 'prod' } });
    const contentFile = join(cli.dir, 'content.json');
    writeFileSync(contentFile, JSON.stringify({ content: { deviceContent: { 'properties.desired.firmware': { version: '2.0' } } } }));
    const created = await hubemu([
      'configuration', 'create', '-c', 'cli-fw', '--content', contentFile, '-t', "tags.environment = 'test'", '--priority', '10',
      '--labels', '{"team": "ops"}', '--metrics', JSON.stringify({ queries: { tagged: firmware } }),
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toMatchObject({
      id: 'cli-fw',
      schemaVersion: '1.0',
      labels: { team: 'ops' },
      content: { deviceContent: { 'properties.desired.firmware': { version: '2.0' } } },
      targetCondition: "tags.environment = 'test'",
      priority: 10,
      metrics: { queries: { tagged: firmware } },
      etag: expect.any(String),
    });

    await expect.poll(() => cli.hub.getTwin('cfg-test-3').properties.desired.firmware, { timeout: 10_000 }).toEqual({ version: '2.0' });
    expect(cli.hub.getTwin('cfg-test-1').configurations).toEqual({ 'cli-fw': { status: 'Applied' } });
    expect(cli.hub.getTwin('cfg-prod-1').properties.desired.firmware).toBeUndefined();
    await expect
      .poll(async () => (await hubemu(['configuration', 'show', '-c', 'cli-fw'])).json, { timeout: 20_000, interval: 200 })
      .toMatchObject({ systemMetrics: { results: { targetedCount: 3, appliedCount: 3 } }, metrics: { results: { tagged: 3 } } });
  });

  it('updates the priority with the etag just read, keeps the other fields, and refuses a stale etag', async () => {
    const before = (await hubemu(['configuration', 'show', '-c', 'cli-fw'])).json;
    const updated = await hubemu(['configuration', 'update', '-c', 'cli-fw', '--pri', '20']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.json).toMatchObject({ priority: 20, labels: { team: 'ops' }, targetCondition: before.targetCondition, content: before.content, metrics: { queries: before.metrics.queries } });
    expect(updated.json.etag).not.toBe(before.etag);

    const stale = await hubemu(['configuration', 'update', '-c', 'cli-fw', '--priority', '5', '--etag', before.etag]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('PreconditionFailed (412001)');

    const forced = await hubemu(['configuration', 'update', '-c', 'cli-fw', '--lab', '{"team": "field"}', '-t', "tags.environment = 'prod'", '--etag', '*']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json).toMatchObject({ priority: 20, labels: { team: 'field' }, targetCondition: "tags.environment = 'prod'" });
    await expect.poll(() => cli.hub.getTwin('cfg-prod-1').properties.desired.firmware, { timeout: 10_000 }).toEqual({ version: '2.0' });

    const nothing = await hubemu(['configuration', 'update', '-c', 'cli-fw']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('Nothing to change');
  });

  it('lists configurations as json and as a table', async () => {
    const second = await hubemu(['configuration', 'create', '-c', 'cli-second', '-k', '{"deviceContent": {"properties.desired.interval": 30}}']);
    expect(second.code, second.stderr).toBe(0);
    const list = await hubemu(['configuration', 'list']);
    expect(list.json.map((c: { id: string }) => c.id)).toEqual(['cli-fw', 'cli-second']);
    expect((await hubemu(['configuration', 'list', '--top', '1'])).json.map((c: { id: string }) => c.id)).toEqual(['cli-fw']);
    const table = await hubemu(['configuration', 'list', '-o', 'table']);
    const [header, , ...rows] = table.stdout.trimEnd().split('\n');
    // `labels` is an object on one and null on the other: a nested field, left out like content and metrics.
    expect(header).toMatch(/^Id\s+SchemaVersion\s+TargetCondition\s+CreatedTimeUtc\s+LastUpdatedTimeUtc\s+Priority\s+Etag$/);
    expect(table.stdout).not.toContain('[object Object]');
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['cli-fw', 'cli-second']);
  });

  it('deletes only with the current etag, then reports the configuration as not found', async () => {
    const stale = await hubemu(['configuration', 'delete', '-c', 'cli-second', '-e', 'bm90LWl0']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('PreconditionFailed (412001)');
    const current = (await hubemu(['configuration', 'show', '-c', 'cli-second'])).json;
    expect(await hubemu(['configuration', 'delete', '-c', 'cli-second', '--etag', current.etag])).toMatchObject({ code: 0, stdout: '' });
    const gone = await hubemu(['configuration', 'show', '-c', 'cli-second']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('ConfigurationNotFound (404011)');
  });

  it('reports a duplicate id and an invalid target condition as hub errors with exit code 2', async () => {
    const duplicate = await hubemu(['configuration', 'create', '-c', 'cli-fw', '-k', '{"deviceContent": {"properties.desired.x": 1}}']);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain("ConfigurationAlreadyExists (409302): A configuration with ID 'cli-fw' already exists.");
    const badTarget = await hubemu(['configuration', 'create', '-c', 'cli-bad', '-k', '{"deviceContent": {"properties.desired.x": 1}}', '-t', 'tags.a = = 1']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('InvalidConfigurationTargetCondition');
  });

  it('explains malformed content, labels and metrics with exit code 1, without creating anything', async () => {
    const noContent = await hubemu(['configuration', 'create', '-c', 'cli-x', '-k', '{"properties.desired.x": 1}']);
    expect(noContent).toMatchObject({ code: 1, stdout: '' });
    expect(noContent.stderr).toContain('--content must hold deviceContent or moduleContent');
    const both = await hubemu(['configuration', 'create', '-c', 'cli-x', '-k', '{"deviceContent": {}, "moduleContent": {}}']);
    expect(both.stderr).toContain('--content has both deviceContent and moduleContent');
    const labels = await hubemu(['configuration', 'create', '-c', 'cli-x', '-k', '{"deviceContent": {"properties.desired.x": 1}}', '--labels', '{"n": 1}']);
    expect(labels.stderr).toContain('--labels must map names to strings');
    const metrics = await hubemu(['configuration', 'create', '-c', 'cli-x', '-k', '{"deviceContent": {"properties.desired.x": 1}}', '-m', '{"updated": "SELECT deviceId FROM devices"}']);
    expect(metrics.stderr).toContain('--metrics must hold a queries object');
    const priority = await hubemu(['configuration', 'create', '-c', 'cli-x', '-k', '{"deviceContent": {"properties.desired.x": 1}}', '--priority', '-1']);
    expect(priority.stderr).toContain('--priority must be an integer from 0 to 2147483647');
    expect((await hubemu(['configuration', 'show', '-c', 'cli-x'])).code).toBe(2);
  });
});
