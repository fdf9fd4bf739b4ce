import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, type Twin as DeviceTwin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Registry } from 'azure-iothub';
import type { Hub } from '@hubemu/hub-emulator';
import { startRedisServer, type RedisServer } from '../packages/hub-emulator/test/redis-server.js';
import { startE2eHub, waitFor } from './hub-fixture.js';

/**
 * Two hub processes sharing one Redis, standing in for two machines on the loopback addresses 127.0.0.1
 * ("A", which `localhost` reaches: the service SDK's hub) and 127.0.0.2 ("B": devices are pinned to it with
 * GatewayHostName), each on the real ports, driven by Microsoft's SDKs (docs/scale-out.md).
 */
type E2eHub = Hub & { dispose(): Promise<void> };
let redis: RedisServer;
let a: E2eHub;
let b: E2eHub;
let registry: Registry;
const devices: DeviceClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  a = await startE2eHub({ redis: { url: redis.url }, processId: 'a', bindAddress: '127.0.0.1', amqpPort: 5671 });
  b = await startE2eHub({ redis: { url: redis.url }, processId: 'b', bindAddress: '127.0.0.2', amqpPort: 5671 });
  registry = Registry.fromConnectionString(a.connectionString());
});
afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
  await a?.dispose();
  await b?.dispose();
  await redis?.stop();
});

/** Creates the device through A (the service SDK) and connects it to B with Microsoft's device SDK. */
async function deviceOnB(deviceId: string): Promise<{ client: DeviceClient; twin: DeviceTwin }> {
  await registry.create({ deviceId });
  const { responseBody } = await registry.get(deviceId);
  const key = responseBody.authentication?.symmetricKey?.primaryKey as string;
  const client = DeviceClient.fromConnectionString(`HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${key};GatewayHostName=127.0.0.2`, Mqtt);
  devices.push(client);
  await client.open();
  const twin = await client.getTwin();
  return { client, twin };
}

describe('a hub of two processes on one Redis, through Microsoft SDKs', () => {
  it('connects a device created through one process to the other, and says so on both', async () => {
    await deviceOnB('cluster-dev-1');
    expect(b.connectedDevices()).toContain('cluster-dev-1');
    expect(a.connectedDevices()).not.toContain('cluster-dev-1');
    const { responseBody } = await registry.get('cluster-dev-1');
    expect(responseBody.connectionState).toBe('Connected');
  });

  it('delivers a desired property written through A to the device SDK connected to B', async () => {
    const { twin } = await deviceOnB('cluster-dev-2');
    const seen: number[] = [];
    twin.on('properties.desired', (desired: { interval?: number }) => {
      if (typeof desired.interval === 'number') seen.push(desired.interval);
    });
    const { responseBody: current } = await registry.getTwin('cluster-dev-2');
    await registry.updateTwin('cluster-dev-2', { properties: { desired: { interval: 30 } } }, current.etag);
    await waitFor(() => (seen.includes(30) ? true : undefined), 10_000, 'the desired interval on the device');
  });

  it('shows a reported property sent to B to the service SDK and to queries on A', async () => {
    const { twin } = await deviceOnB('cluster-dev-3');
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ firmware: '2.0.1' }, (error?: Error) => (error ? reject(error) : resolve())));
    const { responseBody } = await registry.getTwin('cluster-dev-3');
    expect(responseBody.properties.reported.firmware).toBe('2.0.1');
    const { result } = await registry.createQuery("SELECT deviceId FROM devices WHERE properties.reported.firmware = '2.0.1'").next();
    expect(result).toEqual([{ deviceId: 'cluster-dev-3' }]);
  });
});
