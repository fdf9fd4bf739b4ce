import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, Message as DeviceMessage } from 'azure-iot-device';
import { Http } from 'azure-iot-device-http';
import { Mqtt, MqttWs } from 'azure-iot-device-mqtt';
import { Client as ServiceClient } from 'azure-iothub';
import { startE2eHub, waitFor } from './hub-fixture.js';

// Microsoft's service SDK sends over AMQP (5671) and AMQP over WebSockets (443); Microsoft's device SDK
// receives over MQTT (8883), MQTT over WebSockets (443) and HTTPS (443). Real ports, own network namespace.
const require = createRequire(import.meta.url);
const { Amqp, AmqpWs } = require('azure-iothub') as { Amqp: unknown; AmqpWs: unknown };
const { Message } = require('azure-iot-common') as { Message: typeof DeviceMessage };

interface FeedbackRecord {
  originalMessageId: string;
  enqueuedTimeUtc: string;
  statusCode: string;
  description: string;
  deviceId: string;
  deviceGenerationId: string;
}

let hub: Awaited<ReturnType<typeof startE2eHub>>;
beforeAll(async () => {
  // Two deliveries before a message is dead-lettered, so the DeliveryCountExceeded case takes two abandons.
  hub = await startE2eHub({ c2d: { maxDeliveryCount: 2 } });
});
afterAll(async () => {
  await hub.dispose();
});

async function openService(transport: unknown): Promise<ServiceClient> {
  const client = ServiceClient.fromConnectionString(hub.connectionString('service'), transport as never);
  await client.open();
  return client;
}

// `expiryTimeUtc` goes to the SDK as epoch milliseconds, as Microsoft's samples set it: the rhea 1.0 that
// azure-iothub uses cannot encode a Date there (its send() then never completes).
function message(body: string, messageId: string, ack: string, extra: { expiry?: number } = {}): DeviceMessage {
  const m = new Message(body);
  m.messageId = messageId;
  m.correlationId = `corr-${messageId}`;
  m.ack = ack;
  m.contentType = 'application/json';
  m.contentEncoding = 'utf-8';
  if (extra.expiry !== undefined) m.expiryTimeUtc = extra.expiry;
  m.properties.add('colour', 'blue & green');
  m.properties.add('level', '7');
  return m;
}

describe.each([
  ['Amqp', Amqp],
  ['AmqpWs', AmqpWs],
])('azure-iothub over %s sends C2D', (serviceName, serviceTransport) => {
  it.each([
    ['Mqtt', Mqtt],
    ['MqttWs', MqttWs],
    ['Http', Http],
  ])('that azure-iot-device receives over %s with its properties intact', async (deviceName, deviceTransport) => {
    const deviceId = `s2d-${serviceName}-${deviceName}`;
    const { connectionString } = hub.createDevice(deviceId);
    const device = DeviceClient.fromConnectionString(connectionString, deviceTransport as never);
    const received: DeviceMessage[] = [];
    device.on('message', (m: DeviceMessage) => {
      received.push(m);
      void device.complete(m);
    });
    await device.open();
    const service = await openService(serviceTransport);
    try {
      const expiry = Date.now() + 3_600_000;
      await service.send(deviceId, message('{"cmd":"blink"}', `m-${deviceId}`, 'none', { expiry }));
      const got = await waitFor(() => received[0], 20_000, 'the message');
      expect(got.getData().toString()).toBe('{"cmd":"blink"}');
      expect(got.messageId).toBe(`m-${deviceId}`);
      expect(got.correlationId).toBe(`corr-m-${deviceId}`);
      expect(new Date(got.expiryTimeUtc as string).getTime()).toBe(expiry);
      expect(got.to).toBe(`/devices/${deviceId}/messages/devicebound`);
      // HTTPS hands application properties over with the header's prefix, as the SDK reads them (reference §7.2).
      const prefix = deviceName === 'Http' ? 'iothub-app-' : '';
      expect(got.properties.getValue(`${prefix}colour`)).toBe('blue & green');
      expect(got.properties.getValue(`${prefix}level`)).toBe('7');
      if (deviceName !== 'Http') {
        expect(got.contentType).toBe('application/json');
        expect(got.contentEncoding).toBe('utf-8');
      }
      await waitFor(() => (hub.c2d.pending(deviceId).length === 0 ? true : undefined), 20_000, 'the completed message to leave the queue');
    } finally {
      await service.close();
      await device.close();
    }
  });
});

describe('feedback through getFeedbackReceiver(), for every acknowledgement mode', () => {
  it('reports Success, Rejected, Expired, DeliveryCountExceeded and Purged as each mode asks, and nothing for ack none', async () => {
    const deviceId = 'feedback-device';
    const { connectionString, device: identity } = hub.createDevice(deviceId);
    const service = await openService(Amqp);
    const { result: receiver } = (await service.getFeedbackReceiver()) as unknown as { result: { on(event: 'message', listener: (m: { data: Buffer }) => void): void } };
    const records: FeedbackRecord[] = [];
    receiver.on('message', (m) => records.push(...(JSON.parse(m.data.toString()) as FeedbackRecord[])));
    const recordOf = (messageId: string): Promise<FeedbackRecord> => waitFor(() => records.find((r) => r.originalMessageId === messageId), 30_000, `feedback for ${messageId}`);

    // Purged and Expired: the device is offline, so the messages wait in its queue.
    await service.send(deviceId, message('{}', 'purged-negative', 'negative'));
    hub.c2d.purge(deviceId);
    await service.send(deviceId, message('{}', 'expired-full', 'full', { expiry: Date.now() + 1_500 }));
    expect(await recordOf('purged-negative')).toMatchObject({ statusCode: 'Purged', deviceId, deviceGenerationId: identity.generationId });
    expect(await recordOf('expired-full')).toMatchObject({ statusCode: 'Expired', deviceId });

    // The device comes online over HTTPS, the transport that can complete, reject and abandon.
    const device = DeviceClient.fromConnectionString(connectionString, Http);
    const settle = new Map<string, 'complete' | 'reject' | 'abandon'>([
      ['complete-positive', 'complete'],
      ['complete-negative', 'complete'],
      ['reject-negative', 'reject'],
      ['reject-positive', 'reject'],
      ['complete-none', 'complete'],
      ['complete-full', 'complete'],
      ['reject-full', 'reject'],
      ['abandon-full', 'abandon'],
    ]);
    device.on('message', (m: DeviceMessage) => {
      const action = settle.get(String(m.messageId)) ?? 'complete';
      void device[action](m);
    });
    for (const id of settle.keys()) await service.send(deviceId, message('{}', id, id.split('-')[1] as string));
    await device.open();

    expect(await recordOf('complete-positive')).toMatchObject({ statusCode: 'Success', description: expect.any(String), deviceId });
    expect(await recordOf('reject-negative')).toMatchObject({ statusCode: 'Rejected' });
    expect(await recordOf('complete-full')).toMatchObject({ statusCode: 'Success' });
    expect(await recordOf('reject-full')).toMatchObject({ statusCode: 'Rejected' });
    // Abandoned on each delivery: after maxDeliveryCount (2) deliveries it is dead-lettered.
    expect(await recordOf('abandon-full')).toMatchObject({ statusCode: 'DeliveryCountExceeded' });
    const last = await recordOf('abandon-full');
    expect(new Date(last.enqueuedTimeUtc).getTime()).not.toBeNaN();
    // Feedback follows the order of events, and abandon-full was settled last: the modes that ask for no record of an outcome got none.
    for (const quiet of ['complete-negative', 'reject-positive', 'complete-none']) expect(records.find((r) => r.originalMessageId === quiet)).toBeUndefined();
    await device.close();
    await service.close();
  });
});
