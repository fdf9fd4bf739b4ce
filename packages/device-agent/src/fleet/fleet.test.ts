import { parseSasToken } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { telemetryConfig } from '../behaviours/telemetry-config.js';
import { ManualScheduler } from '../scheduler/manual-scheduler.js';
import { FakeMqttHub } from '../testing/fake-mqtt-hub.js';
import { ConnectPacer } from './connect-pacer.js';
import { fleetDeviceIds, planFleet } from './fleet-plan.js';
import { ReasonCounter, percentile, summarize } from './latency.js';
import { startFleet, type FleetDeviceEvent } from './run-fleet.js';

const KEY = Buffer.from('policy-key').toString('base64');
const OWNER = `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`;

describe('fleet plan', () => {
  it('names devices {model}-{index} zero-padded, so the caller can create them first', () => {
    expect(fleetDeviceIds({ model: 'thermostat', count: 3 })).toEqual(['thermostat-00000', 'thermostat-00001', 'thermostat-00002']);
    expect(fleetDeviceIds({ model: 'm', count: 2, idPrefix: 'load-', startIndex: 10 })).toEqual(['load-00010', 'load-00011']);
    expect(fleetDeviceIds({ model: 'm', deviceIds: ['a', 'b'] })).toEqual(['a', 'b']);
  });

  it('signs device tokens with a policy key from a hub connection string', () => {
    const [device] = planFleet([{ model: 'plain', count: 1 }], { connectionString: OWNER });
    expect(device?.credentials).toEqual({ hostName: 'localhost', deviceId: 'plain-00000', sharedAccessKey: KEY, sharedAccessKeyName: 'iothubowner' });
  });

  it('prefers a device key when the caller supplies one', () => {
    const [device] = planFleet([{ model: 'plain', count: 1 }], { connectionString: OWNER, deviceKey: () => 'dk' });
    expect(device?.credentials).toEqual({ hostName: 'localhost', deviceId: 'plain-00000', sharedAccessKey: 'dk' });
  });

  it('takes ids and keys from device connection strings', () => {
    const planned = planFleet([{ model: 'x', connectionStrings: ['HostName=h;DeviceId=a;SharedAccessKey=k'] }], {});
    expect(planned.map((p) => p.deviceId)).toEqual(['a']);
  });

  it('refuses a device it has no credentials for', () => {
    expect(() => planFleet([{ model: 'x', count: 1 }], { hostName: 'localhost' })).toThrow(/No credentials for device x-00000/);
  });

  it('gives a model named like an Object member (constructor, __proto__, toString) no behaviours, as any unknown model', () => {
    for (const model of ['constructor', '__proto__', 'toString']) {
      const [device] = planFleet([{ model, count: 1 }], { connectionString: OWNER });
      expect(device?.behaviours).toEqual([]);
    }
  });

  it('gives a named model its built-in behaviours unless the group lists its own', () => {
    const [thermostat] = planFleet([{ model: 'thermostat', count: 1 }], { connectionString: OWNER });
    expect(thermostat?.behaviours.map((b) => b.name)).toEqual(['telemetryConfig', 'firmwareUpdate', 'reboot', 'factoryReset', 'periodicTelemetry']);
    const [custom] = planFleet([{ model: 'thermostat', count: 1, behaviours: [] }], { connectionString: OWNER });
    expect(custom?.behaviours).toEqual([]);
  });
});

describe('fleet numbers', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(summarize([5, 1, 3])).toEqual({ count: 3, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 });
    expect(summarize([])).toMatchObject({ count: 0, max: 0 });
  });

  it('counts failures by reason with a few sample ids', () => {
    const counter = new ReasonCounter(2);
    for (const id of ['a', 'b', 'c']) counter.add('Timeout', id);
    counter.add('Unauthorized', 'd');
    expect(counter.list()).toEqual([
      { reason: 'Timeout', count: 3, deviceIds: ['a', 'b'] },
      { reason: 'Unauthorized', count: 1, deviceIds: ['d'] },
    ]);
  });

  it('spaces connection attempts at the connect rate and caps those in flight', async () => {
    const scheduler = new ManualScheduler(0);
    const pacer = new ConnectPacer(scheduler, 10, 2);
    const started: number[] = [];
    const releases: Array<() => void> = [];
    void (async () => {
      for (let i = 0; i < 4; i++) {
        releases.push(await pacer.acquire());
        started.push(scheduler.now());
      }
    })();
    await scheduler.advance(1_000);
    expect(started).toEqual([0, 100]);
    releases[0]?.();
    releases[1]?.();
    await scheduler.advance(1_000);
    expect(started).toEqual([0, 100, 1_000, 1_100]);
  });
});

describe('startFleet (against an in-memory MQTT fake)', () => {
  it('connects every device at the connect rate and reports connect times and message counts', async () => {
    const scheduler = new ManualScheduler(0);
    const hub = new FakeMqttHub();
    const fleet = startFleet({
      connectionString: OWNER,
      devices: [{ model: 'plain', count: 20 }],
      client: { connector: hub.connector },
      connectRate: 10,
      scheduler,
    });
    await scheduler.advance(2_000);
    await fleet.settled;
    const report = fleet.report();
    expect(report.devices).toEqual({ planned: 20, connected: 20, ready: 20, failed: 0, pending: 0 });
    expect(report.connectMs.count).toBe(20);
    expect(report.messages.twinRequests).toBe(20);
    expect(report.byModel.plain).toEqual({ planned: 20, connected: 20, ready: 20, failed: 0 });
    expect(parseSasToken(hub.connects[0]?.password ?? '')?.keyName).toBe('iothubowner');
    const final = await fleet.stop();
    expect(final.devices.connected).toBe(0);
  });

  it('reports models named __proto__ or constructor as ordinary entries, touching no prototype', async () => {
    const scheduler = new ManualScheduler(0);
    const hub = new FakeMqttHub();
    const fleet = startFleet({
      connectionString: OWNER,
      devices: [
        { model: '__proto__', count: 2 },
        { model: 'constructor', count: 1 },
      ],
      client: { connector: hub.connector },
      scheduler,
    });
    await scheduler.advance(1_000);
    await fleet.settled;
    const report = await fleet.stop();
    expect(JSON.parse(JSON.stringify(report.byModel))).toEqual(JSON.parse('{"__proto__":{"planned":2,"connected":0,"ready":2,"failed":0},"constructor":{"planned":1,"connected":0,"ready":1,"failed":0}}'));
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('planned');
    expect(Object.getOwnPropertyNames(Object)).not.toContain('planned');
  });

  it('reports devices that fail to come up, grouped by reason', async () => {
    const scheduler = new ManualScheduler(0);
    const hub = new FakeMqttHub();
    hub.refuse.set('plain-00001', 5);
    hub.refuse.set('plain-00002', 3);
    const fleet = startFleet({ connectionString: OWNER, devices: [{ model: 'plain', count: 4 }], client: { connector: hub.connector }, scheduler });
    await scheduler.advance(1_000);
    await fleet.settled;
    const report = await fleet.stop();
    expect(report.devices).toMatchObject({ ready: 2, failed: 2 });
    expect(report.failures).toEqual([
      { reason: 'Unauthorized (CONNACK 5)', count: 1, deviceIds: ['plain-00001'] },
      { reason: 'ServiceUnavailable (CONNACK 3)', count: 1, deviceIds: ['plain-00002'] },
    ]);
  });

  it('retries a first connection the hub refused as unavailable, with backoff, but not one refused for its credentials, and reports each outcome as it happens', async () => {
    const scheduler = new ManualScheduler(0);
    const hub = new FakeMqttHub();
    hub.refuse.set('plain-00000', 3);
    hub.refuse.set('plain-00001', 5);
    const attempts = new Map<string, number[]>();
    const connector: typeof hub.connector = (params) => {
      attempts.set(params.clientId, [...(attempts.get(params.clientId) ?? []), scheduler.now()]);
      // unavailable once, then up
      return hub.connector(params).finally(() => params.clientId === 'plain-00000' && hub.refuse.delete('plain-00000'));
    };
    const events: FleetDeviceEvent[] = [];
    const fleet = startFleet({
      connectionString: OWNER,
      devices: [{ model: 'plain', count: 2 }],
      client: { connector },
      scheduler,
      connectAttempts: 3,
      connectBackoffMs: 500,
      onDeviceEvent: (event) => events.push(event),
    });
    await scheduler.advance(5_000);
    await fleet.settled;
    const report = await fleet.stop();
    expect(report.devices).toMatchObject({ ready: 1, failed: 1 });
    const retried = attempts.get('plain-00000') ?? [];
    expect(retried).toHaveLength(2);
    expect((retried[1] ?? 0) - (retried[0] ?? 0)).toBeGreaterThanOrEqual(400); // 500 ms ±20 %
    expect(attempts.get('plain-00001')).toHaveLength(1);
    expect(events.map((e) => [e.kind, e.deviceId])).toEqual(expect.arrayContaining([['connected', 'plain-00000'], ['failed', 'plain-00001']]));
    expect(events.find((e) => e.kind === 'connected')).toMatchObject({ attempts: 2 });
  });

  it('measures desired -> reported convergence across the fleet', async () => {
    const scheduler = new ManualScheduler(0);
    const hub = new FakeMqttHub();
    const fleet = startFleet({
      connectionString: OWNER,
      devices: [{ model: 'sensor', count: 5, behaviours: [telemetryConfig({ applyDelayMs: 1_000, jitter: 0 })] }],
      client: { connector: hub.connector },
      scheduler,
    });
    await scheduler.advance(1_000);
    await fleet.settled;
    for (const id of fleetDeviceIds({ model: 'sensor', count: 5 })) hub.patchDesired(id, { telemetryConfig: { configId: 'c1', sendFrequency: '5m' } });
    await scheduler.advance(0);
    expect(fleet.report().convergence.inFlight).toBe(5);
    await scheduler.advance(1_000);
    const report = await fleet.stop();
    expect(report.convergence).toMatchObject({ count: 5, applied: 5, failed: 0, inFlight: 0, p50: 1_000, max: 1_000 });
    expect(hub.twin('sensor-00003').reported.telemetryConfig).toEqual({ configId: 'c1', sendFrequency: '5m', status: 'Success' });
  });

  it('counts reconnects after lost connections', async () => {
    const scheduler = new ManualScheduler(0);
    const hub = new FakeMqttHub();
    const fleet = startFleet({
      connectionString: OWNER,
      devices: [{ model: 'plain', count: 2 }],
      client: { connector: hub.connector, reconnect: { initialDelayMs: 100, jitter: 0 } },
      scheduler,
    });
    await scheduler.advance(100);
    await fleet.settled;
    hub.drop('plain-00000');
    await scheduler.advance(100);
    const report = await fleet.stop();
    expect(report).toMatchObject({ connectionsLost: 1, reconnects: 1 });
  });
});
