import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHubConsumerClient, earliestEventPosition, latestEventPosition, type EventPosition, type ReceivedEventData } from '@azure/event-hubs';
import { Client as DeviceClient, Message as DeviceMessage } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client as ServiceClient } from 'azure-iothub';
import { WebSocket } from 'ws';
import { createHmac } from 'node:crypto';
import { Connection as RheaConnection, ReceiverEvents, isAmqpError, type AmqpError, type EventContext } from 'rhea-promise';
import { rejection, startE2eHub, waitFor } from './hub-fixture.js';
import { createRequire } from 'node:module';

// azure-iothub's transports, as its own package index exports them.
const { Amqp, AmqpWs } = createRequire(import.meta.url)('azure-iothub') as { Amqp: unknown; AmqpWs: unknown };
const { Message } = createRequire(import.meta.url)('azure-iot-common') as { Message: typeof DeviceMessage };

// Microsoft's service SDK and Event Hubs SDK on the real AMQP port 5671 and on 443 (WebSockets), in the test's own network namespace.
let hub: Awaited<ReturnType<typeof startE2eHub>>;

beforeAll(async () => {
  hub = await startE2eHub({ amqpPlainPort: 5672 });
});
afterAll(async () => {
  await hub.dispose();
});

async function openDevice(deviceId: string): Promise<DeviceClient> {
  const { connectionString } = hub.createDevice(deviceId);
  const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
  await client.open();
  return client;
}

describe.each([
  ['Amqp', Amqp],
  ['AmqpWs', AmqpWs],
])("azure-iothub Client over %s against hubemu's AMQP endpoint", (name, transport) => {
  it('sends a C2D message the device receives, and reads its feedback', async () => {
    const deviceId = `c2d-${name}`;
    const device = await openDevice(deviceId);
    const received = new Promise<DeviceMessage>((resolve) => device.on('message', (m: DeviceMessage) => void device.complete(m).then(() => resolve(m))));
    const client = ServiceClient.fromConnectionString(hub.connectionString('service'), transport as never);
    await client.open();
    const { result: feedback } = await client.getFeedbackReceiver();
    const batches: unknown[] = [];
    feedback.on('message', (m: { data: Buffer }) => batches.push(JSON.parse(m.data.toString())));
    const message = new Message('hello device');
    message.messageId = '0a4e6d6c-7c3b-4c1e-9c1b-3f1d2c3b4a5e';
    message.ack = 'full';
    message.properties.add('colour', 'blue');
    await client.send(deviceId, message);
    const got = await received;
    expect(got.data.toString()).toBe('hello device');
    expect(got.messageId).toBe('0a4e6d6c-7c3b-4c1e-9c1b-3f1d2c3b4a5e');
    const records = await waitFor(() => (batches.flat() as Array<{ originalMessageId: string; statusCode: string; deviceId: string }>).find((r) => r.deviceId === deviceId), 30_000, 'feedback');
    expect(records).toMatchObject({ originalMessageId: '0a4e6d6c-7c3b-4c1e-9c1b-3f1d2c3b4a5e', statusCode: 'Success' });
    await client.close();
    await device.close();
  });

  it('raises DeviceNotFoundError for an unknown device, DeviceMaximumQueueDepthExceededError when the queue holds 50 and MessageTooLargeError over 64 KB', async () => {
    const client = ServiceClient.fromConnectionString(hub.connectionString('service'), transport as never);
    await client.open();
    expect((await rejection(client.send(`nobody-${name}`, 'x'))).constructor.name).toBe('DeviceNotFoundError');
    const deviceId = `full-${name}`;
    hub.createDevice(deviceId);
    for (let i = 0; i < 50; i++) await client.send(deviceId, `m${i}`);
    expect((await rejection(client.send(deviceId, 'one too many'))).constructor.name).toBe('DeviceMaximumQueueDepthExceededError');
    hub.createDevice(`big-${name}`);
    expect((await rejection(client.send(`big-${name}`, Buffer.alloc(65 * 1024)))).constructor.name).toBe('MessageTooLargeError');
    await client.close();
  });
});

it('refuses a service client whose policy has no ServiceConnect (registryRead) at $cbs', async () => {
  const client = ServiceClient.fromConnectionString(hub.connectionString('registryRead'), Amqp as never);
  const error = await rejection(client.open());
  // The SDK wraps the $cbs answer (401 and its description) in its connect error.
  const cause = (error as Error & { amqpError?: Error }).amqpError;
  expect(cause?.constructor.name).toBe('UnauthorizedError');
  expect(cause?.message).toContain('ServiceConnect');
});

it('serves @azure/event-hubs on plain AMQP 5672 when the connection string says UseDevelopmentEmulator=true', async () => {
  const client = new EventHubConsumerClient('$Default', `${hub.eventHubConnectionString()};UseDevelopmentEmulator=true`);
  const props = await client.getEventHubProperties();
  expect(props).toMatchObject({ name: 'localhost', partitionIds: ['0', '1', '2', '3'] });
  expect(hub.traffic({ operation: 'cbs.putToken' }).at(-1)).toMatchObject({ plane: 'amqp', status: 200, principal: 'service' });
  await client.close();
});

/**
 * The @azure/event-hubs sample `iothubConnectionString.ts`, step by step: SASL PLAIN with an IoT Hub SAS,
 * a receiver on the hub's own `/messages/events/$management`, and the Event Hubs connection string built
 * from the `amqp:link:redirect` it gets back.
 */
async function convertIotHubToEventHubsConnectionString(connectionString: string): Promise<string> {
  const fields = Object.fromEntries(connectionString.split(';').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const { HostName = '', SharedAccessKeyName = '', SharedAccessKey = '' } = fields as Record<string, string | undefined>;
  const [iotHubName] = HostName.split('.');
  const resourceUri = encodeURIComponent(`${HostName}/messages/events`);
  const expiry = Math.ceil(Date.now() / 1000 + 300);
  const sig = encodeURIComponent(createHmac('sha256', Buffer.from(SharedAccessKey, 'base64')).update(`${resourceUri}\n${expiry}`).digest('base64'));
  const token = `SharedAccessSignature sr=${resourceUri}&sig=${sig}&se=${expiry}&skn=${SharedAccessKeyName}`;
  const connection = new RheaConnection({ transport: 'tls', host: HostName, hostname: HostName, username: `${SharedAccessKeyName}@sas.root.${iotHubName}`, port: 5671, reconnect: false, password: token });
  await connection.open();
  const receiver = await connection.createReceiver({ source: { address: `amqps://${HostName}/messages/events/$management` } });
  return new Promise((resolve, reject) => {
    receiver.on(ReceiverEvents.receiverError, (context: EventContext) => {
      const error = context.receiver && context.receiver.error;
      if (error && isAmqpError(error) && (error as AmqpError).condition === 'amqp:link:redirect') {
        const info = (error as AmqpError).info as { hostname?: string; address?: string } | undefined;
        const hostname = info?.hostname;
        const parsedAddress = String(info?.address).match(/5671\/(.*)\/\$management/i);
        if (!hostname || !parsedAddress) return reject(error);
        void connection.close();
        resolve(`Endpoint=sb://${hostname}/;EntityPath=${parsedAddress[1]};SharedAccessKeyName=${SharedAccessKeyName};SharedAccessKey=${SharedAccessKey}`);
      } else {
        reject(error);
      }
    });
  });
}

it("turns the hub's connection string into the Event Hubs one as Microsoft's sample does (SASL PLAIN, amqp:link:redirect)", async () => {
  const converted = await convertIotHubToEventHubsConnectionString(hub.connectionString('service'));
  expect(converted).toBe(`Endpoint=sb://localhost/;EntityPath=localhost;SharedAccessKeyName=service;SharedAccessKey=${hub.connectionString('service').split('SharedAccessKey=')[1]}`);
  const client = new EventHubConsumerClient('$Default', converted);
  expect((await client.getEventHubProperties()).name).toBe('localhost');
  await client.close();
});

/** Runs `body`; if it has not finished within `ms`, fails with what `diagnosis` says (else a hang shows only as the test's timeout). */
async function within<T>(ms: number, diagnosis: () => string, body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Not done within ${ms} ms: ${diagnosis()}`)), ms);
  });
  try {
    return await Promise.race([body(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each([
  ['TLS', {}],
  ['WebSockets', { webSocketOptions: { webSocket: WebSocket } }],
])('@azure/event-hubs EventHubConsumerClient over %s reads what devices sent', (_name, options) => {
  /** Which step a failure (a timeout above all) stopped at, printed with what the hub saw meanwhile. */
  let step = '';
  /** What the SDK reported to processError (it retries on its own, so these do not fail the test by themselves). */
  const sdkErrors: string[] = [];
  const processError = async (error: Error): Promise<void> => void sdkErrors.push(`${new Date().toISOString()} while ${step}: ${error.name}: ${error.message}`);
  /** Reads until `count` events of `deviceId` arrived (or the deadline), from `position`, on every partition or one. */
  async function read(client: EventHubConsumerClient, deviceId: string, count: number, position: EventPosition, partitionId?: string): Promise<Array<ReceivedEventData & { partitionId: string }>> {
    const events: Array<ReceivedEventData & { partitionId: string }> = [];
    const handlers = {
      processEvents: async (batch: ReceivedEventData[], context: { partitionId: string }) => {
        for (const e of batch) if (e.systemProperties?.['iothub-connection-device-id'] === deviceId) events.push({ ...e, partitionId: context.partitionId });
      },
      processError,
    };
    const subscription = partitionId === undefined ? client.subscribe(handlers, { startPosition: position, maxWaitTimeInSeconds: 1 }) : client.subscribe(partitionId, handlers, { startPosition: position, maxWaitTimeInSeconds: 1 });
    try {
      await waitFor(() => (events.length >= count ? true : undefined), 30_000, `${count} events of ${deviceId}`);
    } finally {
      step += ', then closing its subscription';
      await subscription.close();
    }
    return events;
  }

  it('from the earliest, the latest, a sequence number and an enqueued time, with system and application properties', async () => {
    step = 'opening the device';
    sdkErrors.length = 0;
    const began = hub.traffic().at(-1)?.seq ?? 0;
    // A hang shows only as the test's timeout; this says where it stopped and what the hub saw meanwhile.
    const diagnosis = (): string => {
      const seen = hub.traffic().filter((r) => r.seq > began);
      const lines = seen.map((r) => `${r.at} ${r.plane} ${r.direction} ${r.operation} ${r.topic ?? ''} ${r.status}${r.message ? ` ${r.message}` : ''}`);
      return `stopped while ${step}.\nThe SDK's errors:\n${sdkErrors.join('\n')}\nThe hub's traffic meanwhile:\n${lines.join('\n')}`;
    };
    await within(55_000, diagnosis, async () => {
      const deviceId = `tele-${_name}`;
      const device = await openDevice(deviceId);
      step = 'sending three events';
      for (let i = 0; i < 3; i++) {
        const m = new Message(JSON.stringify({ n: i }));
        m.messageId = `mid-${i}`;
        m.contentType = 'application/json';
        m.contentEncoding = 'utf-8';
        m.properties.add('level', `L${i}`);
        await device.sendEvent(m);
      }
      step = 'reading the hub properties';
      const client = new EventHubConsumerClient('$Default', hub.eventHubConnectionString(), options);
      const props = await client.getEventHubProperties();
      expect(props.name).toBe('localhost');
      expect(props.partitionIds.length).toBeGreaterThan(0);

      step = 'reading from the earliest';
      const earliest = await read(client, deviceId, 3, earliestEventPosition);
      expect(earliest.map((e) => e.body)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      const [first] = earliest as [ReceivedEventData & { partitionId: string }];
      expect(first.properties).toEqual({ level: 'L0' });
      expect(first.messageId).toBe('mid-0');
      expect(first.contentType).toBe('application/json');
      expect(first.systemProperties).toMatchObject({ 'iothub-connection-device-id': deviceId, 'iothub-message-source': 'Telemetry', 'iothub-connection-auth-method': expect.any(String) });
      expect(typeof first.sequenceNumber).toBe('number');
      expect(first.enqueuedTimeUtc).toBeInstanceOf(Date);

      const pid = first.partitionId;
      step = 'reading the partition properties';
      const partition = await client.getPartitionProperties(pid);
      expect(partition).toMatchObject({ partitionId: pid, isEmpty: false, lastEnqueuedSequenceNumber: first.sequenceNumber + 2 });

      step = 'reading after a sequence number';
      const afterFirst = await read(client, deviceId, 2, { sequenceNumber: first.sequenceNumber }, pid);
      expect(afterFirst.map((e) => e.body)).toEqual([{ n: 1 }, { n: 2 }]);
      step = 'reading from an enqueued time';
      const fromTime = await read(client, deviceId, 3, { enqueuedOn: first.enqueuedTimeUtc.getTime() - 1 }, pid);
      expect(fromTime.map((e) => e.body)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);

      step = 'attaching the live reader';
      const before = hub.traffic().at(-1)?.seq ?? 0;
      const live: ReceivedEventData[] = [];
      const subscription = client.subscribe(pid, { processEvents: async (b) => void live.push(...b), processError }, { startPosition: latestEventPosition, maxWaitTimeInSeconds: 1 });
      // Sent once the reader's link is attached (at the latest), as the hub records it.
      await waitFor(() => hub.traffic({ operation: 'link.attach' }).find((r) => r.status === 200 && r.topic?.endsWith(`/Partitions/${pid}`) && r.seq > before), 30_000, 'the live reader');
      step = 'sending and reading the live event';
      await device.sendEvent(new Message(JSON.stringify({ n: 'live' })));
      await waitFor(() => (live.some((e) => (e.body as { n: unknown }).n === 'live') ? true : undefined), 30_000, 'the live event');
      expect(live.map((e) => e.body)).toEqual([{ n: 'live' }]);
      step = 'closing the live reader, the client and the device';
      await subscription.close();
      await client.close();
      await device.close();
    });
  });

  it('refuses a connection string whose policy has no ServiceConnect', async () => {
    const client = new EventHubConsumerClient('$Default', hub.eventHubConnectionString('registryRead'), { ...options, retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } });
    const error = await rejection(client.getEventHubProperties());
    expect({ name: error.name, code: (error as { code?: string }).code, message: error.message }).toEqual({
      name: 'MessagingError',
      code: 'UnauthorizedError',
      message: "The policy 'registryRead' does not have the ServiceConnect permission.",
    });
    await client.close();
  });
});
