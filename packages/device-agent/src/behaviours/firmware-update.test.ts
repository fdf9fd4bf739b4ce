import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../scheduler/manual-scheduler.js';
import { FakeDevice } from '../testing/fake-device.js';
import { firmwareUpdate, readFirmwareRequest } from './firmware-update.js';

const STAGES = { downloading: 100, verifying: 50, applying: 80, rebooting: 200 };
const FIRMWARE = { version: '2.0.0', fwPackageURI: 'https://example.com/fw.bin', fwPackageCheckValue: 'abc' };

function setup(reported = {}) {
  const scheduler = new ManualScheduler(0);
  const fake = new FakeDevice({ scheduler, reported });
  const statuses: string[] = [];
  const original = fake.updateReported.bind(fake);
  fake.updateReported = async (patch) => {
    const fw = patch.firmware as { fwUpdateStatus?: string } | undefined;
    if (fw?.fwUpdateStatus) statuses.push(fw.fwUpdateStatus);
    return original(patch);
  };
  return { scheduler, fake, statuses };
}

describe('firmwareUpdate behaviour', () => {
  it('reports the initial firmware as current when the twin has none', async () => {
    const { fake } = setup();
    await fake.start(firmwareUpdate({ initialVersion: '1.2.3' }));
    expect(fake.reported.firmware).toEqual({
      currentFwVersion: '1.2.3',
      pendingFwVersion: '',
      fwUpdateStatus: 'current',
      fwUpdateSubstatus: '',
      lastFwUpdateStartTime: '',
      lastFwUpdateEndTime: '',
    });
  });

  it('goes downloading -> verifying -> applying -> rebooting -> current for desired firmware', async () => {
    const { scheduler, fake, statuses } = setup();
    await fake.start(firmwareUpdate({ stageMs: STAGES, jitter: 0 }));
    const converged = fake.setDesired({ firmware: FIRMWARE });
    await scheduler.advance(0);
    expect(fake.reported.firmware).toMatchObject({ fwUpdateStatus: 'downloading', pendingFwVersion: '2.0.0', currentFwVersion: '1.0.0' });
    await scheduler.advance(100);
    expect(fake.reported.firmware).toMatchObject({ fwUpdateStatus: 'verifying' });
    await scheduler.advance(50);
    expect(fake.reported.firmware).toMatchObject({ fwUpdateStatus: 'applying' });
    await scheduler.advance(80);
    expect(fake.reported.firmware).toMatchObject({ fwUpdateStatus: 'rebooting' });
    expect(fake.isConnected).toBe(false);
    await scheduler.advance(200);
    expect(fake.restarts).toBe(1);
    expect(fake.reported.firmware).toMatchObject({
      currentFwVersion: '2.0.0',
      pendingFwVersion: '',
      fwUpdateStatus: 'current',
      lastFwUpdateStartTime: new Date(0).toISOString(),
      lastFwUpdateEndTime: new Date(430).toISOString(),
    });
    expect(statuses).toEqual(['current', 'downloading', 'verifying', 'applying', 'rebooting', 'current']);
    expect(await converged).toMatchObject({ outcome: 'applied', durationMs: 430 });
  });

  it('reports error with a substatus when verification fails', async () => {
    const { scheduler, fake } = setup();
    await fake.start(firmwareUpdate({ stageMs: STAGES, jitter: 0, verify: (r) => r.fwPackageCheckValue === 'good' }));
    const converged = fake.setDesired({ firmware: FIRMWARE });
    await scheduler.advance(1_000);
    expect(fake.reported.firmware).toMatchObject({ fwUpdateStatus: 'error', currentFwVersion: '1.0.0', pendingFwVersion: '' });
    expect(String((fake.reported.firmware as { fwUpdateSubstatus: string }).fwUpdateSubstatus)).toMatch(/check failed/);
    expect(await converged).toMatchObject({ outcome: 'failed' });
  });

  it('fails the same devices for the same seed when failureRate is set', async () => {
    const outcomes = async (seed: number) => {
      const result: string[] = [];
      for (let i = 0; i < 10; i++) {
        const scheduler = new ManualScheduler(0);
        const fake = new FakeDevice({ scheduler, deviceId: `dev-${i}`, seed });
        await fake.start(firmwareUpdate({ stageMs: STAGES, failureRate: 0.5 }));
        const converged = fake.setDesired({ firmware: FIRMWARE });
        await scheduler.runAll();
        result.push((await converged)?.outcome ?? 'none');
      }
      return result;
    };
    const first = await outcomes(7);
    expect(await outcomes(7)).toEqual(first);
    expect(first).toContain('failed');
    expect(first).toContain('applied');
  });

  it('lets newer desired firmware supersede an update in progress', async () => {
    const { scheduler, fake } = setup();
    await fake.start(firmwareUpdate({ stageMs: STAGES, jitter: 0 }));
    const first = fake.setDesired({ firmware: FIRMWARE });
    await scheduler.advance(50);
    const second = fake.setDesired({ firmware: { ...FIRMWARE, version: '3.0.0' } });
    await scheduler.runAll();
    expect(await first).toBeUndefined();
    expect(await second).toMatchObject({ outcome: 'applied' });
    expect(fake.reported.firmware).toMatchObject({ currentFwVersion: '3.0.0', fwUpdateStatus: 'current' });
  });

  it('does nothing when the desired version is already current', async () => {
    const { fake } = setup();
    await fake.start(firmwareUpdate());
    const before = fake.reportedPatches.length;
    expect(await fake.setDesired({ firmware: { ...FIRMWARE, version: '1.0.0' } })).toBeUndefined();
    expect(fake.reportedPatches.length).toBe(before);
  });

  it('starts an update from the firmwareUpdate method and refuses a second one meanwhile', async () => {
    const { scheduler, fake } = setup();
    await fake.start(firmwareUpdate({ stageMs: STAGES, jitter: 0 }));
    const started = await fake.invokeMethod('firmwareUpdate', { fwVersion: '2.1.0', fwPackageUri: 'https://x/fw' });
    expect(started.status).toBe(200);
    await scheduler.advance(10);
    expect((await fake.invokeMethod('firmwareUpdate', FIRMWARE)).status).toBe(409);
    expect((await fake.invokeMethod('firmwareUpdate', { nope: 1 })).status).toBe(400);
    await scheduler.runAll();
    await started.after;
    expect(fake.reported.firmware).toMatchObject({ currentFwVersion: '2.1.0', fwUpdateStatus: 'current' });
  });

  it('fails at once without a package URI', async () => {
    const { scheduler, fake } = setup();
    await fake.start(firmwareUpdate());
    const converged = fake.setDesired({ firmware: { version: '2.0.0' } });
    await scheduler.advance(0);
    expect(await converged).toMatchObject({ outcome: 'failed' });
    expect(fake.reported.firmware).toMatchObject({ fwUpdateStatus: 'error', fwUpdateSubstatus: 'No fwPackageURI was given.' });
  });

  it('reads version or fwVersion and fwPackageURI or fwPackageUri', () => {
    expect(readFirmwareRequest({ fwVersion: '1', fwPackageUri: 'u' })).toEqual({ version: '1', fwPackageURI: 'u', fwPackageCheckValue: undefined });
    expect(readFirmwareRequest({ fwPackageURI: 'u' })).toBeUndefined();
  });
});
