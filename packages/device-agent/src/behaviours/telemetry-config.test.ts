import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../scheduler/manual-scheduler.js';
import { FakeDevice } from '../testing/fake-device.js';
import { telemetryConfig } from './telemetry-config.js';

function device(desired = {}, reported = {}) {
  const scheduler = new ManualScheduler(0);
  return { scheduler, fake: new FakeDevice({ scheduler, desired, reported }) };
}

describe('telemetryConfig behaviour', () => {
  it('reports the initial configuration when the twin has none', async () => {
    const { fake } = device();
    await fake.start(telemetryConfig());
    expect(fake.reported.telemetryConfig).toEqual({ configId: '0', sendFrequency: '24h', status: 'Success' });
  });

  it('reports Pending with pendingConfig, then Success with the new values after applyDelayMs', async () => {
    const { scheduler, fake } = device({}, { telemetryConfig: { configId: '0', sendFrequency: '24h', status: 'Success' } });
    await fake.start(telemetryConfig({ applyDelayMs: 1_000, jitter: 0 }));
    const converged = fake.setDesired({ telemetryConfig: { configId: 'c1', sendFrequency: '5m' } });
    await scheduler.advance(0);
    expect(fake.reported.telemetryConfig).toEqual({
      configId: '0',
      sendFrequency: '24h',
      status: 'Pending',
      pendingConfig: { configId: 'c1', sendFrequency: '5m' },
    });
    await scheduler.advance(999);
    expect(fake.reported.telemetryConfig).toMatchObject({ status: 'Pending' });
    await scheduler.advance(1);
    expect(fake.reported.telemetryConfig).toEqual({ configId: 'c1', sendFrequency: '5m', status: 'Success' });
    expect(await converged).toMatchObject({ outcome: 'applied', version: 2, durationMs: 1_000 });
  });

  it('deletes pendingConfig with null in the final report', async () => {
    const { scheduler, fake } = device();
    await fake.start(telemetryConfig({ applyDelayMs: 10, jitter: 0 }));
    void fake.setDesired({ telemetryConfig: { configId: 'c1', sendFrequency: '5m' } });
    await scheduler.advance(10);
    expect(fake.reportedPatches.at(-1)).toMatchObject({ telemetryConfig: { pendingConfig: null, status: 'Success' } });
  });

  it('reports Failed and keeps the old values when sendFrequency cannot be parsed', async () => {
    const { scheduler, fake } = device();
    await fake.start(telemetryConfig({ applyDelayMs: 10, jitter: 0 }));
    const converged = fake.setDesired({ telemetryConfig: { configId: 'bad', sendFrequency: 'often' } });
    await scheduler.advance(10);
    expect(fake.reported.telemetryConfig).toEqual({ configId: '0', sendFrequency: '24h', status: 'Failed' });
    expect(await converged).toMatchObject({ outcome: 'failed' });
  });

  it('reports Failed when failWhen says so', async () => {
    const { scheduler, fake } = device();
    await fake.start(telemetryConfig({ applyDelayMs: 10, jitter: 0, failWhen: (c) => c.configId === 'c2' }));
    void fake.setDesired({ telemetryConfig: { configId: 'c2', sendFrequency: '1m' } });
    await scheduler.advance(10);
    expect(fake.reported.telemetryConfig).toMatchObject({ status: 'Failed' });
  });

  it('lets a newer configuration supersede one still pending', async () => {
    const { scheduler, fake } = device();
    await fake.start(telemetryConfig({ applyDelayMs: 100, jitter: 0 }));
    const first = fake.setDesired({ telemetryConfig: { configId: 'c1', sendFrequency: '1m' } });
    await scheduler.advance(50);
    const second = fake.setDesired({ telemetryConfig: { configId: 'c2', sendFrequency: '2m' } });
    await scheduler.advance(100);
    expect(await first).toBeUndefined();
    expect(await second).toMatchObject({ outcome: 'applied' });
    expect(fake.reported.telemetryConfig).toEqual({ configId: 'c2', sendFrequency: '2m', status: 'Success' });
  });

  it('ignores desired changes to other properties and a configuration already applied', async () => {
    const { fake } = device({}, { telemetryConfig: { configId: 'c1', sendFrequency: '1m', status: 'Success' } });
    await fake.start(telemetryConfig());
    const before = fake.reportedPatches.length;
    expect(await fake.setDesired({ other: 1 })).toBeUndefined();
    expect(await fake.setDesired({ telemetryConfig: { configId: 'c1', sendFrequency: '1m' } })).toBeUndefined();
    expect(fake.reportedPatches.length).toBe(before);
  });

  it('applies a desired configuration found at startup (set while the device was offline)', async () => {
    const { scheduler, fake } = device({ telemetryConfig: { configId: 'c9', sendFrequency: '30s' } });
    const started = fake.start(telemetryConfig({ applyDelayMs: 10, jitter: 0 }));
    await scheduler.advance(10);
    expect(await started).toMatchObject({ source: 'sync', outcome: 'applied' });
    expect(fake.reported.telemetryConfig).toEqual({ configId: 'c9', sendFrequency: '30s', status: 'Success' });
  });

  it('compares by sendFrequency when the back end sends no configId', async () => {
    const { scheduler, fake } = device();
    await fake.start(telemetryConfig({ applyDelayMs: 10, jitter: 0 }));
    void fake.setDesired({ telemetryConfig: { sendFrequency: '10s' } });
    await scheduler.advance(10);
    expect(fake.reported.telemetryConfig).toEqual({ configId: 'v2', sendFrequency: '10s', status: 'Success' });
    expect(await fake.setDesired({ telemetryConfig: { sendFrequency: '10s' } })).toBeUndefined();
  });
});
