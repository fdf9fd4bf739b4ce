import { describe, expect, it } from 'vitest';
import { convergenceOf } from './convergence-watch.js';
import { FleetRecorder } from './fleet-recorder.js';

const counters = { sent: 0, received: 0, connected: 0, connects: 0, tlsResumed: 0 };

describe('fleet recorder', () => {
  it('names the devices that connected but neither converged nor reported a failure by the end, so a lost update is visible', () => {
    const recorder = new FleetRecorder(4, 0);
    recorder.record(0, [
      { kind: 'connected', deviceId: 'a', at: 10, latencyMs: 10, attempts: 1 },
      { kind: 'connected', deviceId: 'b', at: 11, latencyMs: 11, attempts: 1 },
      { kind: 'connected', deviceId: 'c', at: 12, latencyMs: 12, attempts: 2 },
    ], counters);
    recorder.rolloutStartedAt = 100;
    recorder.record(0, [
      { kind: 'converged', deviceId: 'a', at: 150 },
      { kind: 'convergenceFailed', deviceId: 'b', at: 160, reason: 'reported failure' },
    ], counters);
    expect(recorder.notConverged().list()).toEqual([{ reason: 'convergence: not converged when the run ended', count: 1, deviceIds: ['c'] }]);
    expect(recorder.connectSummary()).toMatchObject({ retried: 1, latencyMs: { count: 3, max: 12 } });
    expect(recorder.convergenceSummary()).toMatchObject({ latencyMs: { count: 1, max: 50 }, timeToPercentMs: { '50': null } });
  });

  it('counts the messages of the rollout window, from its start to the last convergence, and their rate over it', () => {
    const recorder = new FleetRecorder(2, 0);
    recorder.record(0, [{ kind: 'connected', deviceId: 'a', at: 10, latencyMs: 10, attempts: 1 }], { ...counters, sent: 3, received: 4 });
    recorder.record(1, [{ kind: 'connected', deviceId: 'b', at: 10, latencyMs: 10, attempts: 1 }], { ...counters, sent: 3, received: 4 });
    expect(recorder.rolloutMessages()).toBeNull();
    recorder.markRolloutStart(1_000);
    // Each device: a desired notification in, Pending and Success out, their two answers in.
    recorder.record(0, [{ kind: 'converged', deviceId: 'a', at: 1_300 }], { ...counters, sent: 5, received: 7 });
    recorder.record(1, [{ kind: 'converged', deviceId: 'b', at: 1_500 }], { ...counters, sent: 5, received: 7 });
    recorder.record(1, [], { ...counters, sent: 9, received: 9 }); // later traffic is outside the window
    expect(recorder.rolloutMessages()).toEqual({ windowMs: 500, deviceToHub: 4, hubToDevice: 6, perSecond: 20 });
  });

  it('counts devices whose identity could not be created as failed, and stops expecting them to converge', () => {
    const recorder = new FleetRecorder(10, 0);
    recorder.identityFailures = 3;
    recorder.record(0, [{ kind: 'failed', deviceId: 'x', at: 1, reason: 'Unauthorized (CONNACK 5)' }], counters);
    expect(recorder.counts().failed).toBe(4);
    expect(recorder.settledWithoutConverging).toBe(4);
  });
});

describe('convergence rule', () => {
  const rule = { reported: 'telemetryConfig', matches: { configId: 'c1', status: 'Success' }, failsWhen: { status: 'Failed' } };

  it('counts only a hub-accepted patch that touches the watched path and leaves it holding every matched field', () => {
    const reported = { telemetryConfig: { configId: 'c1', status: 'Success', sendFrequency: '5m' }, other: 1 };
    expect(convergenceOf(rule, reported, { telemetryConfig: { status: 'Success' } })).toBe('converged');
    expect(convergenceOf(rule, reported, { other: 1 })).toBeUndefined();
    expect(convergenceOf(rule, { telemetryConfig: { configId: 'c0', status: 'Success' } }, { telemetryConfig: {} })).toBeUndefined();
    expect(convergenceOf(rule, { telemetryConfig: { configId: 'c0', status: 'Failed' } }, { telemetryConfig: {} })).toBe('failed');
  });

  it('reads nested paths and never an inherited member', () => {
    const nested = { reported: 'iothubDM.reboot', matches: { rebootStatus: 'rebooted' } };
    expect(convergenceOf(nested, { iothubDM: { reboot: { rebootStatus: 'rebooted' } } }, { iothubDM: { reboot: {} } })).toBe('converged');
    expect(convergenceOf({ reported: 'constructor', matches: { name: 'Object' } }, {}, JSON.parse('{"constructor": 1}'))).toBeUndefined();
  });
});
