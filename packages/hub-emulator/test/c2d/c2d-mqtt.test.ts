import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseC2dTopic, topics } from '@hubemu/shared';
import { startHub, type Hub, type RequestEvent } from '../../src/index.js';
import { closed, connectRaw } from '../raw-device.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

/**
 * A SUBSCRIBE written straight to the socket: MQTT.js refuses a filter with `+` or `#` inside a level
 * (`devices/a+b/...`), which is what a device whose id holds them must send.
 */
function rawSubscribe(client: MqttClient, packetId: number, filter: string): void {
  client.stream.write(mqttPacket.generate({ cmd: 'subscribe', messageId: packetId, subscriptions: [{ topic: filter, qos: 1 }] }));
}

describe('C2D over MQTT', () => {
  it('delivers a message at QoS 1 on devices/{id}/messages/devicebound/{bag} with its properties, and the PUBACK completes it', async () => {
    hub.createDevice('m-props');
    const device = await connectRaw(hub, 'm-props', { subscribe: [topics.c2dFilter('m-props')], qos: 1 });
    const received = new Promise<{ topic: string; body: string; qos: number }>((resolve) =>
      device.client.once('message', (topic, payload, packet) => resolve({ topic, body: payload.toString(), qos: packet.qos })),
    );
    const expiry = new Date(Date.now() + 600_000);
    hub.c2d.send('m-props', {
      body: 'hello',
      messageId: 'mid-1',
      correlationId: 'corr/1',
      userId: 'ops',
      expiryTimeUtc: expiry,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      ack: 'full',
      properties: { color: 'red & blue', 'k=1': 'a/b' },
    });
    const message = await received;
    expect(message.qos).toBe(1);
    expect(message.body).toBe('hello');
    expect(message.topic.startsWith('devices/m-props/messages/devicebound/%24.mid=mid-1&%24.to=%2Fdevices%2Fm-props%2Fmessages%2Fdevicebound&')).toBe(true);
    expect(parseC2dTopic(message.topic)).toEqual({
      deviceId: 'm-props',
      messageId: 'mid-1',
      to: '/devices/m-props/messages/devicebound',
      correlationId: 'corr/1',
      expiryTimeUtc: expiry.toISOString(),
      userId: 'ops',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      ack: 'full',
      properties: { color: 'red & blue', 'k=1': 'a/b' },
    });
    await expect.poll(() => hub.c2d.pending('m-props')).toEqual([]);
    await device.close();
  });

  it('keeps the slash after devicebound when a message has no properties', async () => {
    hub.createDevice('m-bare');
    hub.c2d.send('m-bare', { body: 'x' });
    const device = await connectRaw(hub, 'm-bare', { subscribe: [topics.c2dFilter('m-bare')], qos: 1 });
    await expect.poll(() => device.messages.map((m) => m.topic)).toEqual(['devices/m-bare/messages/devicebound/%24.to=%2Fdevices%2Fm-bare%2Fmessages%2Fdevicebound&iothub-ack=none']);
    await device.close();
  });

  it('delivers what was queued while the device was offline once it subscribes, in sequence order, and records each push as a request event', async () => {
    hub.createDevice('m-queued');
    const pushes: RequestEvent[] = [];
    const onRequest = (event: RequestEvent): void => void (event.operation === 'c2d.deliver' && event.deviceId === 'm-queued' && pushes.push(event));
    hub.events.on('request', onRequest);
    for (const body of ['one', 'two', 'three']) hub.c2d.send('m-queued', { body, messageId: body });
    const device = await connectRaw(hub, 'm-queued', { subscribe: [topics.c2dFilter('m-queued')], qos: 1 });
    await expect.poll(() => device.messages.map((m) => m.body)).toEqual(['one', 'two', 'three']);
    await expect.poll(() => hub.c2d.pending('m-queued')).toEqual([]);
    hub.events.off('request', onRequest);
    expect(pushes.map((e) => [e.plane, e.direction, e.payload, e.status, e.requestId])).toEqual([
      ['mqtt', 'out', 'one', 200, 'one'],
      ['mqtt', 'out', 'two', 200, 'two'],
      ['mqtt', 'out', 'three', 200, 'three'],
    ]);
    await device.close();
  });

  it('returns a message the device did not acknowledge to the queue when it disconnects, without counting a delivery, and sends it again on the next connection', async () => {
    hub.createDevice('m-unacked');
    const seen: string[] = [];
    const silent = await connectRaw(hub, 'm-unacked', { subscribe: [topics.c2dFilter('m-unacked')], qos: 1 });
    // A message handler that never calls back: MQTT.js then sends no PUBACK.
    silent.client.handleMessage = (packet) => void seen.push(packet.topic);
    hub.c2d.send('m-unacked', { body: 'again' });
    await expect.poll(() => seen.length).toBe(1);
    expect(hub.c2d.pending('m-unacked')[0]?.lockedUntilMs).toBeGreaterThan(0);
    const gone = closed(silent.client);
    silent.client.stream.destroy();
    await gone;
    await expect.poll(() => hub.c2d.pending('m-unacked')[0]?.lockedUntilMs).toBeUndefined();
    expect(hub.c2d.pending('m-unacked')[0]?.deliveryCount).toBe(0);
    const device = await connectRaw(hub, 'm-unacked', { subscribe: [topics.c2dFilter('m-unacked')], qos: 1 });
    await expect.poll(() => device.messages.map((m) => m.body)).toEqual(['again']);
    await expect.poll(() => hub.c2d.pending('m-unacked')).toEqual([]);
    await device.close();
  });

  it('delivers to a CleanSession=0 device that reconnects: its restored subscription counts without a new SUBSCRIBE', async () => {
    hub.createDevice('m-persistent');
    const first = await connectRaw(hub, 'm-persistent', { subscribe: [topics.c2dFilter('m-persistent')], qos: 1, mqtt: { clean: false } });
    await first.close();
    await expect.poll(() => hub.connectedDevices().includes('m-persistent')).toBe(false);
    hub.c2d.send('m-persistent', { body: 'while away' });
    const again = await connectRaw(hub, 'm-persistent', { subscribe: [], mqtt: { clean: false } });
    await expect.poll(() => again.messages.map((m) => m.body)).toEqual(['while away']);
    await expect.poll(() => hub.c2d.pending('m-persistent')).toEqual([]);
    await again.close();
  });

  it('gives devices whose ids hold + and # their own messages and nobody else\'s', async () => {
    const ids = ['a+b', 'a#', 'a'];
    for (const id of ids) hub.createDevice(id);
    const devices = await Promise.all(ids.map((id) => connectRaw(hub, id, { subscribe: [] })));
    devices.forEach((device, i) => rawSubscribe(device.client, 4000 + i, `devices/${ids[i] as string}/messages/devicebound/#`));
    for (const id of ids) await expect.poll(() => hub.subscriptions(id).length).toBe(1);
    for (const id of ids) hub.c2d.send(id, { body: `for ${id}` });
    for (const id of ids) await expect.poll(() => hub.c2d.pending(id)).toEqual([]);
    devices.forEach((device, i) => {
      const id = ids[i] as string;
      expect(device.messages.map((m) => [parseC2dTopic(m.topic)?.deviceId, m.body])).toEqual([[id, `for ${id}`]]);
    });
    await Promise.all(devices.map((d) => d.close()));
  });
});

describe('C2D over MQTT on the test clock', () => {
  it('sends a message again when its one-minute lock runs out without a PUBACK, and expires one nobody takes', async () => {
    const timed = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, clock: 'manual' });
    try {
      timed.createDevice('m-clock');
      // What the hub sent (MQTT.js holds back the packets after one it does not acknowledge).
      const seen: string[] = [];
      timed.events.on('request', (e) => void (e.operation === 'c2d.deliver' && seen.push(e.payload ?? '')));
      const device = await connectRaw(timed, 'm-clock', { subscribe: [topics.c2dFilter('m-clock')], qos: 1 });
      device.client.handleMessage = () => undefined;
      timed.c2d.send('m-clock', { body: 'twice' });
      await expect.poll(() => seen).toEqual(['twice']);
      await timed.clock.advance(59_999);
      expect(seen).toEqual(['twice']);
      await timed.clock.advance(1);
      await expect.poll(() => seen).toEqual(['twice', 'twice']);
      expect(timed.c2d.pending('m-clock')[0]?.deliveryCount).toBe(0);
      await device.close();

      timed.createDevice('m-expire');
      timed.c2d.send('m-expire', { body: 'late' });
      await timed.clock.advance(3_600_000);
      expect(timed.c2d.pending('m-expire')).toEqual([]);
    } finally {
      await timed.stop();
    }
  });
});
