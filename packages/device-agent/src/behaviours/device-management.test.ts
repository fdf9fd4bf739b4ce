import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../scheduler/manual-scheduler.js';
import { FakeDevice } from '../testing/fake-device.js';
import { parseDuration } from './durations.js';
import { factoryReset } from './factory-reset.js';
import { periodicTelemetry } from './periodic-telemetry.js';
import { reboot } from './reboot.js';
import { telemetryConfig } from './telemetry-config.js';

describe('reboot behaviour', () => {
  it('answers 200, reports rebooting, goes offline for downtimeMs, comes back and reports rebooted', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(reboot({ downtimeMs: 500, jitter: 0 }));
    const answer = await fake.invokeMethod('reboot');
    expect(answer).toMatchObject({ status: 200, payload: { message: 'Reboot started' } });
    await scheduler.advance(0);
    expect(fake.reported).toEqual({ iothubDM: { reboot: { lastReboot: new Date(0).toISOString(), rebootStatus: 'rebooting' } } });
    expect(fake.isConnected).toBe(false);
    await scheduler.advance(500);
    await answer.after;
    expect(fake.restarts).toBe(1);
    expect(fake.reported).toEqual({ iothubDM: { reboot: { lastReboot: new Date(0).toISOString(), rebootStatus: 'rebooted' } } });
  });

  it('refuses a second reboot while one is in progress', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(reboot({ downtimeMs: 500 }));
    await fake.invokeMethod('reboot');
    expect((await fake.invokeMethod('reboot')).status).toBe(409);
  });

  it('reports under a custom path', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(reboot({ reportPath: 'lastRebootInfo', downtimeMs: 0 }));
    const answer = await fake.invokeMethod('reboot');
    await scheduler.runAll();
    await answer.after;
    expect(fake.reported.lastRebootInfo).toMatchObject({ rebootStatus: 'rebooted' });
  });
});

describe('factoryReset behaviour', () => {
  it('clears every reported property, reports completed, restarts, and the other behaviours report again', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler, reported: { custom: 1, telemetryConfig: { configId: 'c1', sendFrequency: '1m', status: 'Success' } } });
    await fake.start(factoryReset({ downtimeMs: 100, jitter: 0 }), telemetryConfig());
    const answer = await fake.invokeMethod('factoryReset');
    expect(answer.status).toBe(200);
    await scheduler.advance(0);
    expect(fake.reportedPatches).toContainEqual({ custom: null, telemetryConfig: null, iothubDM: null });
    expect(fake.reported).toEqual({ iothubDM: { factoryReset: { status: 'completed', lastFactoryReset: new Date(0).toISOString() } } });
    await scheduler.advance(100);
    await answer.after;
    await scheduler.advance(0);
    expect(fake.restarts).toBe(1);
    expect(fake.reported.telemetryConfig).toEqual({ configId: '0', sendFrequency: '24h', status: 'Success' });
  });

  it('can skip the restart', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler, reported: { a: 1 } });
    await fake.start(factoryReset({ restart: false }));
    const answer = await fake.invokeMethod('factoryReset');
    await answer.after;
    expect(fake.restarts).toBe(0);
    expect(fake.reported).not.toHaveProperty('a');
  });
});

describe('periodicTelemetry behaviour', () => {
  it('sends one message per interval, the first at a seeded point of the first interval', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(periodicTelemetry({ intervalMs: 1_000 }));
    await scheduler.advance(1_000);
    expect(fake.telemetry).toHaveLength(1);
    await scheduler.advance(3_000);
    expect(fake.telemetry).toHaveLength(4);
    expect(fake.telemetry[0]?.body).toMatchObject({ sequence: 0 });
  });

  it('follows the reported telemetryConfig.sendFrequency, picking up a change without waiting out the old interval', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler, reported: { telemetryConfig: { configId: '0', sendFrequency: '24h', status: 'Success' } } });
    await fake.start(telemetryConfig({ applyDelayMs: 0, jitter: 0 }), periodicTelemetry());
    await scheduler.advance(10_000);
    const before = fake.telemetry.length;
    void fake.setDesired({ telemetryConfig: { configId: 'fast', sendFrequency: '1s' } });
    await scheduler.advance(10_000);
    expect(fake.telemetry.length - before).toBeGreaterThanOrEqual(9);
  });

  it('skips sends while offline instead of queueing them', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(periodicTelemetry({ intervalMs: 100 }));
    fake.isConnected = false;
    await scheduler.advance(1_000);
    expect(fake.telemetry).toHaveLength(0);
  });

  it('keeps one timer per device, armed for the next send', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(periodicTelemetry({ intervalMs: 100 }));
    await scheduler.advance(1_000);
    expect(scheduler.pending).toBe(1);
  });

  it('stops when detached', async () => {
    const scheduler = new ManualScheduler(0);
    const fake = new FakeDevice({ scheduler });
    await fake.start(periodicTelemetry({ intervalMs: 100 }));
    fake.stop();
    expect(scheduler.pending).toBe(0);
  });
});

describe('parseDuration', () => {
  it('reads tutorial-style durations and bare seconds', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration(2)).toBe(2_000);
    expect(parseDuration('often')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
  });
});
