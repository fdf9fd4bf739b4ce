import { createRequire } from 'node:module';
import { EventHubConsumerClient, earliestEventPosition, type ReceivedEventData } from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, type Message as DeviceMessage, type Twin as DeviceTwin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client as ServiceClient, Registry } from 'azure-iothub';
import type { Hub } from '@hubemu/hub-emulator';
import { startRedisServer, type RedisServer } from '../packages/hub-emulator/test/redis-server.js';
import { startE2eHub, waitFor } from './hub-fixture.js';

/**
 * Two hub processes sharing one Redis, standing in for two machines on the loopback addresses 127.0.0.1
 * ("A", which `localhost` reaches: the service SDK's hub) and 127.0.0.2 ("B": devices are pinned to it with
 * GatewayHostName), each on the real ports, driven by Microsoft's SDKs (docs/scale-out.md).
 */
type E2eHub = Hub & { dispose(): Promise<void> };
const require = createRequire(import.meta.url);
const { Amqp } = require('azure-iothub') as { Amqp: unknown };
const { Message, NoRetry } = require('azure-iot-common') as { Message: typeof DeviceMessage; NoRetry: new () => Parameters<DeviceClient['setRetryPolicy']>[0] };
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

/** Connects a device that exists with Microsoft's device SDK: to A (`localhost`), or to B (`GatewayHostName=127.0.0.2`). */
async function connectDevice(deviceId: string, to: 'a' | 'b'): Promise<DeviceClient> {
  const { responseBody } = await registry.get(deviceId);
  const key = responseBody.authentication?.symmetricKey?.primaryKey as string;
  const client = DeviceClient.fromConnectionString(`HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${key}${to === 'b' ? ';GatewayHostName=127.0.0.2' : ''}`, Mqtt);
  devices.push(client);
  await client.open();
  return client;
}

/** Creates the device through A (the service SDK) and connects it to B with Microsoft's device SDK. */
async function deviceOnB(deviceId: string): Promise<{ client: DeviceClient; twin: DeviceTwin }> {
  await registry.create({ deviceId });
  const client = await connectDevice(deviceId, 'b');
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

  it('carries a direct method the service SDK invokes through A to the device SDK on B, and its answer back', async () => {
    const { client } = await deviceOnB('cluster-method');
    client.onDeviceMethod('reboot', (request, response) => void response.send(200, { rebooted: true, delay: (request.payload as { delay: number }).delay }));
    const service = ServiceClient.fromConnectionString(a.connectionString('service'));
    const { result } = (await service.invokeDeviceMethod('cluster-method', { methodName: 'reboot', payload: { delay: 5 }, responseTimeoutInSeconds: 10 })) as unknown as { result: { status: number; payload: unknown } };
    expect(result).toEqual({ status: 200, payload: { rebooted: true, delay: 5 } });
    await service.close();
  });

  it('keeps one connection per identity: the device connecting to A drops its connection to B', async () => {
    const { client: first } = await deviceOnB('cluster-once');
    first.setRetryPolicy(new NoRetry());
    const dropped = new Promise<void>((resolve) => first.once('disconnect', () => resolve()));
    await connectDevice('cluster-once', 'a');
    await dropped;
    await waitFor(() => (b.connectedDevices().includes('cluster-once') ? undefined : true), 10_000, 'the connection to B gone');
    expect(a.connectedDevices()).toContain('cluster-once');
    expect((await registry.get('cluster-once')).responseBody.connectionState).toBe('Connected');
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

describe('cloud-to-device messages on a hub of two processes, through Microsoft SDKs', () => {
  it('delivers what the service SDK sends through A to the device on B, and feedback from B reaches the reader on A once per message', async () => {
    const service = ServiceClient.fromConnectionString(a.connectionString('service'), Amqp as never);
    await service.open();
    const { result: receiver } = (await service.getFeedbackReceiver()) as unknown as { result: { on(event: 'message', listener: (m: { data: Buffer }) => void): void } };
    const records: Array<{ originalMessageId: string; statusCode: string; deviceId: string }> = [];
    receiver.on('message', (m) => records.push(...(JSON.parse(m.data.toString()) as typeof records)));
    const { client } = await deviceOnB('cluster-c2d');
    client.on('message', (m: DeviceMessage) => void client.complete(m));
    const send = (messageId: string, options: { expiry?: number } = {}): Promise<unknown> => {
      const m = new Message(`{"id":"${messageId}"}`);
      m.messageId = messageId;
      m.ack = 'full';
      if (options.expiry !== undefined) m.expiryTimeUtc = options.expiry;
      return service.send('cluster-c2d', m);
    };
    await send('to-complete');
    await send('to-complete-too');
    const statusOf = (messageId: string): Promise<string> => waitFor(() => records.find((r) => r.originalMessageId === messageId)?.statusCode, 15_000, `feedback for ${messageId}`);
    expect(await statusOf('to-complete')).toBe('Success');
    expect(await statusOf('to-complete-too')).toBe('Success');

    // A message that expires while its device is away is dead-lettered once for the hub (by the leader), not once per process.
    await client.close();
    await waitFor(() => (b.connectedDevices().includes('cluster-c2d') ? undefined : true), 10_000, 'the device gone from B');
    await send('to-expire', { expiry: Date.now() + 1_000 });
    expect(await statusOf('to-expire')).toBe('Expired');
    await send('to-purge');
    await waitFor(() => (b.c2d.pending('cluster-c2d').length === 1 ? true : undefined), 10_000, 'the message on B');
    expect(b.c2d.purge('cluster-c2d')).toBe(1);
    expect(await statusOf('to-purge')).toBe('Purged');
    expect(records.map((r) => r.originalMessageId).sort()).toEqual(['to-complete', 'to-complete-too', 'to-expire', 'to-purge']);
    await service.close();
  });
});

describe('the Event Hubs-compatible endpoint of a hub of two processes, through Microsoft SDKs', () => {
  it('reads through B, with @azure/event-hubs, what a device sent to A, numbered as A numbers it', async () => {
    await registry.create({ deviceId: 'cluster-eh' });
    const device = await connectDevice('cluster-eh', 'a');
    for (let i = 0; i < 3; i++) await device.sendEvent(new Message(JSON.stringify({ n: i })));
    expect(a.connectedDevices()).toContain('cluster-eh');

    // B's AMQP port on its own address; the connection string names the hub as the SDK signs for it.
    const client = new EventHubConsumerClient('$Default', b.eventHubConnectionString(), { customEndpointAddress: 'amqps://127.0.0.2:5671' });
    const events: Array<ReceivedEventData & { partitionId: string }> = [];
    const subscription = client.subscribe(
      {
        processEvents: async (batch, context) => void events.push(...batch.filter((e) => e.systemProperties?.['iothub-connection-device-id'] === 'cluster-eh').map((e) => ({ ...e, partitionId: context.partitionId }))),
        processError: async () => undefined,
      },
      { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 },
    );
    try {
      await waitFor(() => (events.length >= 3 ? true : undefined), 30_000, 'three events through B');
    } finally {
      await subscription.close();
      await client.close();
    }
    expect(events.map((e) => e.body)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    // Read through B, and B never held the device.
    expect(b.traffic({ operation: 'link.attach' }).some((r) => r.topic?.includes('/Partitions/') && r.status === 200)).toBe(true);
    expect(b.traffic({ deviceId: 'cluster-eh', operation: 'telemetry' })).toEqual([]);
    const onA = a.eventHub.retained().filter((e) => e.deviceId === 'cluster-eh');
    expect(events.map((e) => [Number(e.partitionId), e.sequenceNumber, String(e.offset)])).toEqual(onA.map((e) => [e.partition, e.sequenceNumber, e.offset]));
  });
});
