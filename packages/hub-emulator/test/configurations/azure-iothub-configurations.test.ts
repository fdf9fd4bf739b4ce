import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client as DeviceClient } from 'azure-iot-device';
import { Registry, type Configuration } from 'azure-iothub';
import { startHub, type Hub } from '../../src/index.js';
import { routeAzureIotHubSdkTo } from '../../src/azure-iothub-route.js';
import { openDevice } from '../rest-api/device-helpers.js';

let hub: Hub;
let unroute: () => void;
let registry: Registry;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
  unroute = routeAzureIotHubSdkTo(hub);
  registry = Registry.fromConnectionString(hub.connectionString());
  hub.createDevice('chiller-1', { tags: { model: '4000x' } });
  hub.createDevice('chiller-2', { tags: { model: '4000x' } });
  hub.createDevice('other-1', { tags: { model: '1000' } });
});
afterAll(async () => {
  await hub.stop();
  unroute();
});

/** The Node SDK's own sample configuration (azure-iot-hub-node samples/configuration_sample.js), with our ids. */
const chillerConfiguration = (): Configuration => ({
  id: 'chiller4000x',
  schemaVersion: '1.0',
  content: { deviceContent: { 'properties.desired.chiller-water': { temperature: 66, pressure: 28 } } },
  metrics: {
    queries: {
      waterSettingsPending: "SELECT deviceId FROM devices WHERE properties.reported.chillerWaterSettings.status='pending'",
    },
  },
  targetCondition: "tags.model='4000x'",
  priority: 20,
});

describe("Microsoft's azure-iothub Registry configuration calls against hubemu", () => {
  it('adds a configuration whose content reaches a connected device as a desired patch', async () => {
    const client = (await openDevice(hub, 'chiller-1')) as DeviceClient;
    try {
      const twin = await client.getTwin();
      const seen: Array<Record<string, unknown>> = [];
      twin.on('properties.desired', (delta: Record<string, unknown>) => seen.push(delta));
      const { responseBody, httpResponse } = await registry.addConfiguration(chillerConfiguration());
      expect(httpResponse.statusCode).toBe(201);
      expect(responseBody).toMatchObject({ id: 'chiller4000x', priority: 20, etag: expect.any(String) });
      await expect.poll(() => seen.some((d) => (d['chiller-water'] as { temperature?: number } | undefined)?.temperature === 66), { timeout: 10_000 }).toBe(true);
      expect(hub.getTwin('chiller-2').configurations).toEqual({ chiller4000x: { status: 'Applied' } });
      expect(hub.getTwin('other-1').properties.desired['chiller-water']).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('gets one configuration with its metrics, and lists them all', async () => {
    await expect
      .poll(async () => ((await registry.getConfiguration('chiller4000x')).responseBody as Configuration).systemMetrics?.results, { timeout: 10_000 })
      .toEqual({ targetedCount: 2, appliedCount: 2 });
    const { responseBody: one } = await registry.getConfiguration('chiller4000x');
    expect(one.metrics).toEqual({ results: { waterSettingsPending: 0 }, queries: chillerConfiguration().metrics?.queries });
    const { responseBody: all } = await registry.getConfigurations();
    expect(all.map((c) => c.id)).toEqual(['chiller4000x']);
  });

  it('updates with the etag it read, and with forceUpdate', async () => {
    const { responseBody: current } = await registry.getConfiguration('chiller4000x');
    const { responseBody: updated } = await registry.updateConfiguration({ ...current, priority: 30, targetCondition: "tags.model='4000x' OR tags.model='1000'" });
    expect(updated).toMatchObject({ priority: 30, targetCondition: "tags.model='4000x' OR tags.model='1000'" });
    await expect.poll(() => hub.getTwin('other-1').configurations?.chiller4000x?.status, { timeout: 10_000 }).toBe('Applied');

    const stale = await registry.updateConfiguration({ ...current, priority: 40 }).then(
      () => undefined,
      (e: unknown) => e as { response?: { statusCode: number } },
    );
    expect(stale?.response?.statusCode).toBe(412);
    const { responseBody: forced } = await registry.updateConfiguration({ ...current, etag: 'whatever', priority: 40 }, true);
    expect(forced.priority).toBe(40);
  });

  it('reports a changed content as an ArgumentError', async () => {
    const { responseBody: current } = await registry.getConfiguration('chiller4000x');
    const error = await registry.updateConfiguration({ ...current, content: { deviceContent: { 'properties.desired.chiller-water': { temperature: 70 } } } }, true).then(
      () => undefined,
      (e: unknown) => e as Error & { responseBody?: string },
    );
    expect(error?.constructor.name).toBe('ArgumentError');
    expect(error?.responseBody).toContain('CannotModifyImmutableConfigurationContent');
  });

  it('removes a configuration, and the twins lose its settings', async () => {
    await registry.removeConfiguration('chiller4000x');
    await expect.poll(() => 'chiller-water' in hub.getTwin('chiller-2').properties.desired, { timeout: 10_000 }).toBe(false);
    expect(hub.getTwin('chiller-2').configurations).toBeUndefined();
    const missing = await registry.getConfiguration('chiller4000x').then(
      () => undefined,
      (e: unknown) => e as { response?: { statusCode: number } },
    );
    expect(missing?.response?.statusCode).toBe(404);
  });
});
