import { describe, expect, it } from 'vitest';
import { histogram } from './fleet-recorder.js';
import { allocateDevices, modelCounts, sliceFleet } from './device-allocation.js';
import { ScenarioSchema } from './scenario.js';

const scenario = ScenarioSchema.parse({
  name: 'mix',
  devices: [
    { model: 'thermostat', count: 2, offline: { share: 0.5, everyMs: 1000, forMs: 100 } },
    { model: 'sensor', count: 1 },
    { model: 'sensor', count: 1 },
  ],
});

describe('fleet device allocation', () => {
  it("scales the scenario's model counts to --devices by largest remainder, so they add up exactly", () => {
    expect(modelCounts(scenario, undefined)).toEqual([2, 1, 1]);
    expect(modelCounts(scenario, 10)).toEqual([5, 3, 2]);
    expect(modelCounts(scenario, 7).reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('names devices by model, tells a repeated model apart, and gives the offline share to the first devices of a model', () => {
    const devices = allocateDevices(scenario, 8);
    expect(devices.map((d) => d.id)).toEqual(['fleet-thermostat-00000', 'fleet-thermostat-00001', 'fleet-thermostat-00002', 'fleet-thermostat-00003', 'fleet-sensor-00000', 'fleet-sensor-00001', 'fleet-sensor2-00000', 'fleet-sensor2-00001']);
    expect(devices.filter((d) => d.offline).map((d) => d.id)).toEqual(['fleet-thermostat-00000', 'fleet-thermostat-00001']);
  });

  it('spreads processes over loopback source addresses only beyond 25,000 connections to a loopback hub', () => {
    const small = allocateDevices(ScenarioSchema.parse({ name: 's', devices: [{ model: 'plain' }] }), 12_000);
    expect(sliceFleet(small, 5_000, true).map((s) => [s.devices.length, s.localAddress])).toEqual([
      [5_000, undefined],
      [5_000, undefined],
      [2_000, undefined],
    ]);
    const large = allocateDevices(ScenarioSchema.parse({ name: 'l', devices: [{ model: 'plain' }] }), 60_000);
    const slices = sliceFleet(large, 5_000, true);
    expect(slices).toHaveLength(12);
    expect([...new Set(slices.map((s) => s.localAddress))]).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(sliceFleet(large, 5_000, false).every((s) => s.localAddress === undefined)).toBe(true);
  });
});

describe('latency histogram', () => {
  it('counts each value in the first 1-2-5 bucket that holds it, from the bucket before the first value to the one holding the largest', () => {
    expect(histogram([])).toEqual([]);
    expect(histogram([30, 45, 120, 900])).toEqual([
      { le: 20, count: 0 },
      { le: 50, count: 2 },
      { le: 100, count: 0 },
      { le: 200, count: 1 },
      { le: 500, count: 0 },
      { le: 1000, count: 1 },
    ]);
  });
});
