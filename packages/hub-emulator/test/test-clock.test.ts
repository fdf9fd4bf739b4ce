import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimestamp, METHOD_REQUEST_FILTER } from '@hubemu/shared';
import { startHub, type Hub } from '../src/index.js';
import { connectRaw, type RawDevice } from './raw-device.js';
import { call, errorOf } from './rest-api/http-helpers.js';

// The test clock starts in the past, so the tokens these tests sign with the real clock (an hour) stay valid by it.
const T0 = Date.UTC(2024, 0, 1, 8, 0, 0);
const INTERVAL_MS = 60_000;

let hub: Hub;
let dashboardDir: string;

beforeAll(async () => {
  // A stand-in for the built dashboard: the login links need one.
  dashboardDir = mkdtempSync(join(tmpdir(), 'hubemu-clock-'));
  mkdirSync(join(dashboardDir, 'assets'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>dashboard</title>');
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboardDir, clock: { mode: 'manual', startAt: new Date(T0).toISOString() }, configurationIntervalMs: INTERVAL_MS });
});
afterAll(async () => {
  await hub.stop();
  rmSync(dashboardDir, { recursive: true, force: true });
});

const getJob = async (jobId: string) => (await call(hub, { method: 'GET', path: `/jobs/v2/${jobId}` })).json;

/** A device subscribed to method requests that never answers them. */
function silentDevice(deviceId: string): Promise<RawDevice> {
  hub.createDevice(deviceId);
  return connectRaw(hub, deviceId, { subscribe: [METHOD_REQUEST_FILTER] });
}

describe('the test clock: timestamps', () => {
  it('stamps $lastUpdated and the twin times with the clock, and follows it when it moves', async () => {
    hub.createDevice('ts-1', { desired: { mode: 'a' } });
    expect(hub.getTwin('ts-1').properties.desired).toMatchObject({ $metadata: { $lastUpdated: formatTimestamp(T0) } });
    const later = hub.clock.now() + 5 * 60_000;
    await hub.clock.advance('PT5M');
    expect(hub.clock.now()).toBe(later);
    hub.updateTwin('ts-1', { properties: { desired: { mode: 'b' } } });
    expect(hub.getTwin('ts-1').properties.desired).toMatchObject({ $metadata: { $lastUpdated: formatTimestamp(later), mode: { $lastUpdated: formatTimestamp(later) } } });
  });

  it('stamps presence (connection state and last activity) with the clock', async () => {
    hub.createDevice('ts-presence');
    const device = await connectRaw(hub, 'ts-presence');
    try {
      const connectedAt = formatTimestamp(hub.clock.now());
      expect(hub.registry.getDevice('ts-presence')).toMatchObject({ connectionState: 'Connected', connectionStateUpdatedTime: connectedAt, lastActivityTime: connectedAt });
      await hub.clock.advance(90_000);
      await device.request('$iothub/twin/GET/?$rid=1', '', '1');
      expect(hub.registry.getDevice('ts-presence').lastActivityTime).toBe(formatTimestamp(hub.clock.now()));
    } finally {
      await device.close();
    }
  });
});

describe('the test clock: jobs', () => {
  it('starts a scheduled job when the clock reaches its startTime, and not before', async () => {
    hub.createDevice('sched-1', { tags: { cohort: 'sched' } });
    const startTime = new Date(hub.clock.now() + 3_600_000).toISOString();
    const res = await call(hub, {
      method: 'PUT',
      path: '/jobs/v2/clock-sched',
      body: { type: 'scheduleUpdateTwin', queryCondition: "tags.cohort = 'sched'", updateTwin: { properties: { desired: { when: 'later' } }, etag: '*' }, startTime },
    });
    expect(res.status).toBe(200);
    await hub.clock.advance(3_599_999);
    expect((await getJob('clock-sched')).status).toBe('queued'); // the service reports a scheduled job as queued
    expect(hub.getTwin('sched-1').properties.desired.when).toBeUndefined();
    await hub.clock.advance(1);
    const job = await hub.jobs.whenFinished('clock-sched');
    expect(job).toMatchObject({ status: 'completed', startTime: formatTimestamp(Date.parse(startTime)) });
    expect(hub.getTwin('sched-1').properties.desired.when).toBe('later');
  });

  it('fails a running job when the clock passes its maxExecutionTimeInSeconds', async () => {
    const device = await silentDevice('slow-1');
    try {
      const res = await call(hub, {
        method: 'PUT',
        path: '/jobs/v2/clock-deadline',
        body: { type: 'scheduleDeviceMethod', queryCondition: "deviceId = 'slow-1'", cloudToDeviceMethod: { methodName: 'hang', responseTimeoutInSeconds: 300 }, maxExecutionTimeInSeconds: 60, startTime: null },
      });
      expect(res.status).toBe(200);
      // The device holds the call: the job runs until the clock passes its deadline.
      await expect.poll(() => device.messages.length, { timeout: 10_000 }).toBe(1);
      expect((await getJob('clock-deadline')).status).toBe('running');
      await hub.clock.advance(60_000);
      const job = await hub.jobs.whenFinished('clock-deadline');
      expect(job.status).toBe('failed');
      expect(job.failureReason).toContain('maxExecutionTimeInSeconds (60 s)');
    } finally {
      await device.close();
    }
  });
});

describe('the test clock: direct methods', () => {
  it('answers 504 GatewayTimeout once the clock passes responseTimeoutInSeconds', async () => {
    const device = await silentDevice('m-hang');
    try {
      let settled = false;
      const pending = call(hub, { method: 'POST', path: '/twins/m-hang/methods', body: { methodName: 'hang', responseTimeoutInSeconds: 30 } }).finally(() => (settled = true));
      await expect.poll(() => device.messages.length, { timeout: 10_000 }).toBe(1);
      await hub.clock.advance(29_999);
      expect(settled).toBe(false);
      await hub.clock.advance(1);
      const res = await pending;
      expect(res.status).toBe(504);
      expect(res.json.errorCode).toBe(504101);
    } finally {
      await device.close();
    }
  });

  it('answers 404 DeviceNotOnline once the clock passes connectTimeoutInSeconds for a device that never connects', async () => {
    hub.createDevice('m-away');
    const refused = expect(hub.invokeMethod('m-away', { methodName: 'ping', connectTimeoutInSeconds: 20 })).rejects.toMatchObject({ errorCode: 'DeviceNotOnline' });
    await hub.clock.advance(20_000);
    await refused;
  });
});

describe('the test clock: configurations', () => {
  it('applies a configuration to a twin that matches later at the next periodic pass, when the clock reaches it', async () => {
    const res = await call(hub, {
      method: 'PUT',
      path: '/configurations/clock-cfg',
      body: { id: 'clock-cfg', content: { deviceContent: { 'properties.desired.telemetry': { interval: 30 } } }, targetCondition: "tags.site = 'clock'", priority: 1 },
    });
    expect(res.status).toBe(201);
    await hub.configurations.evaluateNow();
    hub.createDevice('cfg-late', { tags: { site: 'clock' } });
    // Passes run at every multiple of the interval from the hub's start (T0).
    const nextPass = T0 + (Math.floor((hub.clock.now() - T0) / INTERVAL_MS) + 1) * INTERVAL_MS;
    await hub.clock.set(nextPass - 1);
    expect(hub.getTwin('cfg-late').properties.desired.telemetry).toBeUndefined();
    await hub.clock.advance(1);
    await expect.poll(() => hub.getTwin('cfg-late').properties.desired.telemetry, { timeout: 10_000 }).toEqual({ interval: 30 });
  });
});

describe('the test clock: dashboard logins', () => {
  it('refuses a one-time login link once the clock passes its 24 hours, and signs the session by the clock', async () => {
    const loginOf = (): string => {
      if (hub.dashboard.state !== 'ready') throw new Error(`dashboard is ${hub.dashboard.state}`);
      return new URL(hub.dashboard.loginUrl()).hash.replace('#login=', '');
    };
    const stale = loginOf();
    await hub.clock.advance('P1D');
    const refused = await call(hub, { method: 'POST', path: '/dashboard/session', body: { login: stale }, policy: null });
    expect(refused.status).toBe(401);
    const session = await call(hub, { method: 'POST', path: '/dashboard/session', body: { login: loginOf() }, policy: null });
    expect(session.status).toBe(200);
    expect(Date.parse(session.json.expiresAt)).toBeGreaterThan(hub.clock.now());
  });
});

describe('GET and POST /emulator/clock', () => {
  it('answers the time and the mode, and moves the clock by a time, milliseconds or an ISO duration', async () => {
    const before = hub.clock.now();
    const got = await call(hub, { method: 'GET', path: '/emulator/clock' });
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ now: new Date(before).toISOString(), mode: 'manual' });

    const advanced = await call(hub, { method: 'POST', path: '/emulator/clock', body: { advanceMs: 1000 } });
    expect(advanced.json).toEqual({ now: new Date(before + 1000).toISOString(), mode: 'manual' });
    const byDuration = await call(hub, { method: 'POST', path: '/emulator/clock', body: { advance: 'PT1M' } });
    expect(byDuration.json.now).toBe(new Date(before + 61_000).toISOString());
    const target = new Date(before + 3_600_000);
    const set = await call(hub, { method: 'POST', path: '/emulator/clock', body: { now: target.toISOString().replace('Z', '+00:00') } });
    expect(set.json.now).toBe(target.toISOString());
    expect(hub.clock.now()).toBe(target.getTime());
  });

  it('fires the timers due by the new time before it answers', async () => {
    const device = await silentDevice('m-rest');
    try {
      const pending = hub.invokeMethod('m-rest', { methodName: 'hang', responseTimeoutInSeconds: 10 });
      await expect.poll(() => device.messages.length, { timeout: 10_000 }).toBe(1);
      let outcome: string | undefined;
      void pending.catch((error: { errorCode?: string }) => (outcome = error.errorCode));
      const res = await call(hub, { method: 'POST', path: '/emulator/clock', body: { advanceMs: 10_000 } });
      expect(res.status).toBe(200);
      expect(outcome).toBe('GatewayTimeout');
    } finally {
      await device.close();
    }
  });

  it('refuses a bad move with 400 ArgumentInvalid naming the problem', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ advanceMs: -1 }, /advanceMs/],
      [{ advance: 'P1Y' }, /ISO 8601 duration/],
      [{ now: '2020-01-01T00:00:00Z' }, /does not go backwards/],
      [{ now: '2030-01-01T00:00:00' }, /now/],
      [{ advanceMs: 1, advance: 'PT1S' }, /exactly one/],
      [{ tick: 1 }, /tick/],
    ];
    for (const [body, message] of cases) {
      const res = await call(hub, { method: 'POST', path: '/emulator/clock', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', header: 'ArgumentInvalid', message: expect.stringMatching(message) });
    }
    const empty = await call(hub, { method: 'POST', path: '/emulator/clock' });
    expect(errorOf(empty).name).toBe('ArgumentNull');
  });

  it('is only for a policy with every permission: others get 401 IotHubUnauthorizedAccess, no token 401 IotHubUnauthorized', async () => {
    for (const policy of ['service', 'registryReadWrite']) {
      const res = await call(hub, { method: 'GET', path: '/emulator/clock', policy });
      expect(res.status, policy).toBe(401);
      expect(errorOf(res).name).toBe('IotHubUnauthorizedAccess');
    }
    const moved = await call(hub, { method: 'POST', path: '/emulator/clock', policy: 'service', body: { advanceMs: 1 } });
    expect(moved.status).toBe(401);
    const anonymous = await call(hub, { method: 'GET', path: '/emulator/clock', policy: null });
    expect(errorOf(anonymous).name).toBe('IotHubUnauthorized');
  });
});

describe('the test clock across reset()', () => {
  it('stays where it is, and the services wait on it as before', async () => {
    const before = hub.clock.now();
    await hub.reset();
    expect(hub.clock.now()).toBe(before);
    hub.createDevice('after-reset');
    const refused = expect(hub.invokeMethod('after-reset', { methodName: 'ping', connectTimeoutInSeconds: 5 })).rejects.toMatchObject({ errorCode: 'DeviceNotOnline' });
    await hub.clock.advance(5_000);
    await refused;
  });
});

describe('a hub on the system clock', () => {
  it('reports it and refuses to move it with 400 saying the hub runs the system clock', async () => {
    const system = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false });
    try {
      expect(system.clock.mode).toBe('system');
      const got = await call(system, { method: 'GET', path: '/emulator/clock' });
      expect(got.json.mode).toBe('system');
      expect(Math.abs(Date.parse(got.json.now) - Date.now())).toBeLessThan(60_000);
      const res = await call(system, { method: 'POST', path: '/emulator/clock', body: { advanceMs: 1000 } });
      expect(res.status).toBe(400);
      expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', message: expect.stringContaining('runs the system clock') });
      await expect(system.clock.advance(1000)).rejects.toMatchObject({ errorCode: 'ArgumentInvalid' });
    } finally {
      await system.stop();
    }
  });
});
