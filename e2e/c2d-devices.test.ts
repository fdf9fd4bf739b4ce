import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Message } from 'azure-iot-device';
import { Http } from 'azure-iot-device-http';
import { Mqtt, MqttWs } from 'azure-iot-device-mqtt';
import { topics } from '@hubemu/shared';
import type { TelemetryMessage } from '@hubemu/hub-emulator';
import { startE2eHub, waitFor } from './hub-fixture.js';

type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;
let hub: E2eHub;

beforeAll(async () => {
  hub = await startE2eHub();
});
afterAll(async () => {
  await hub.dispose();
});

/**
 * Cloud-to-device messages are enqueued through the embedded API (`hub.c2d.send`) until the AMQP
 * service plane lands; the devices are Microsoft's azure-iot-device over each of its transports.
 */
const EXPIRY = new Date(Date.now() + 3_600_000);
const sendFull = (deviceId: string, messageId: string): void =>
  void hub.c2d.send(deviceId, {
    body: '{"cmd":"on"}',
    messageId,
    correlationId: `corr-${messageId}`,
    expiryTimeUtc: EXPIRY,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    ack: 'full',
    properties: { color: 'red & blue', level: '3' },
  });

describe.each([
  ['Mqtt (MQTT over TLS on 8883)', Mqtt, 'mqtt'],
  ['MqttWs (MQTT over WebSockets on 443)', MqttWs, 'ws'],
] as const)('Microsoft azure-iot-device receives C2D with %s', (_name, transport, tag) => {
  it('gets a queued message with its properties intact, and completing it empties the queue', async () => {
    const deviceId = `c2d-${tag}`;
    const { connectionString } = hub.createDevice(deviceId);
    sendFull(deviceId, `queued-${tag}`);
    const client = Client.fromConnectionString(connectionString, transport);
    const received: Message[] = [];
    client.on('message', (message: Message) => {
      received.push(message);
      void client.complete(message);
    });
    await client.open();
    try {
      const first = await waitFor(() => received[0], 10_000, 'the queued message');
      expect(first.getData().toString()).toBe('{"cmd":"on"}');
      expect(first.messageId).toBe(`queued-${tag}`);
      expect(first.correlationId).toBe(`corr-queued-${tag}`);
      expect(first.expiryTimeUtc).toBe(EXPIRY.toISOString());
      expect(first.contentType).toBe('application/json');
      expect(first.contentEncoding).toBe('utf-8');
      expect(first.to).toBe(`/devices/${deviceId}/messages/devicebound`);
      expect(first.properties.getValue('color')).toBe('red & blue');
      expect(first.properties.getValue('level')).toBe('3');
      await waitFor(() => (hub.c2d.pending(deviceId).length === 0 ? true : undefined), 10_000, 'the PUBACK to complete it');

      // Sent while connected: delivered at once.
      await waitFor(() => (hub.subscriptions(deviceId).includes(topics.c2dFilter(deviceId)) ? true : undefined), 10_000, 'the C2D subscription');
      sendFull(deviceId, `live-${tag}`);
      const second = await waitFor(() => received[1], 10_000, 'the live message');
      expect(second.messageId).toBe(`live-${tag}`);
      await waitFor(() => (hub.c2d.pending(deviceId).length === 0 ? true : undefined), 10_000, 'the PUBACK to complete it');
    } finally {
      await client.close();
    }
  });
});

describe('Microsoft azure-iot-device over Http', () => {
  it('receives C2D by polling with its properties, and completes, abandons and rejects messages', async () => {
    const deviceId = 'c2d-http';
    const { connectionString } = hub.createDevice(deviceId);
    const client = Client.fromConnectionString(connectionString, Http);
    const received: Message[] = [];
    client.on('message', (message: Message) => void received.push(message));
    await client.open();
    try {
      sendFull(deviceId, 'to-complete');
      const first = await waitFor(() => received.find((m) => m.messageId === 'to-complete'), 10_000, 'the first message');
      expect(first.getData().toString()).toBe('{"cmd":"on"}');
      expect(first.correlationId).toBe('corr-to-complete');
      expect(first.expiryTimeUtc).toBe(EXPIRY.toISOString());
      expect(first.to).toBe(`/devices/${deviceId}/messages/devicebound`);
      // Node's HTTP transport keeps application properties under their header names.
      expect(first.properties.getValue('iothub-app-color')).toBe('red & blue');
      expect(first.lockToken).toMatch(/^[0-9a-f-]{36}$/);
      await client.complete(first);
      expect(hub.c2d.pending(deviceId)).toEqual([]);

      sendFull(deviceId, 'to-abandon');
      const abandoned = await waitFor(() => received.find((m) => m.messageId === 'to-abandon'), 10_000, 'the message to abandon');
      await client.abandon(abandoned);
      const again = await waitFor(() => received.filter((m) => m.messageId === 'to-abandon')[1], 10_000, 'the abandoned message again');
      expect(hub.c2d.pending(deviceId)[0]?.deliveryCount).toBe(1);
      await client.reject(again);
      expect(hub.c2d.pending(deviceId)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('sends telemetry, single and batched, arriving as telemetry events with their properties', async () => {
    const deviceId = 'tel-http';
    const { connectionString } = hub.createDevice(deviceId);
    const arrived: TelemetryMessage[] = [];
    const onTelemetry = (message: TelemetryMessage): void => void (message.deviceId === deviceId && arrived.push(message));
    hub.events.on('telemetry', onTelemetry);
    const client = Client.fromConnectionString(connectionString, Http);
    await client.open();
    try {
      const single = new Message('{"temperature":21.5}');
      single.messageId = 'tel-1';
      single.correlationId = 'corr-tel-1';
      single.contentType = 'application/json';
      single.contentEncoding = 'utf-8';
      single.properties.add('alert', 'false');
      await client.sendEvent(single);
      const batch = ['a', 'b'].map((body, i) => {
        const m = new Message(body);
        m.properties.add('index', String(i));
        return m;
      });
      await client.sendEventBatch(batch);
      await waitFor(() => (arrived.length === 3 ? true : undefined), 10_000, 'three telemetry messages');
      expect(arrived[0]).toMatchObject({
        deviceId,
        properties: { alert: 'false' },
        systemProperties: { messageId: 'tel-1', correlationId: 'corr-tel-1', contentType: 'application/json', contentEncoding: 'utf-8' },
      });
      expect(arrived[0]?.body.toString()).toBe('{"temperature":21.5}');
      expect(arrived.slice(1).map((m) => [m.body.toString(), m.properties])).toEqual([
        ['a', { index: '0' }],
        ['b', { index: '1' }],
      ]);
    } finally {
      hub.events.off('telemetry', onTelemetry);
      await client.close();
    }
  });
});
