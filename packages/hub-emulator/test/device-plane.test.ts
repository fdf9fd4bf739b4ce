import { once } from 'node:events';
import { connect as connectTls } from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER, parseConnectionString, signSasToken, TWIN_RESPONSE_FILTER, topics } from '@hubemu/shared';
import { startHub, type Hub, type TelemetryMessage } from '../src/index.js';
import { closed, connectRaw, type RawDevice } from './raw-device.js';

let hub: Hub;
const open: RawDevice[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});
beforeEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
  await hub.reset();
});

async function device(id: string, subscribe?: string[]): Promise<RawDevice> {
  if (!hub.registry.statistics().totalDeviceCount || !hub.connectedDevices().includes(id)) {
    try {
      hub.createDevice(id);
    } catch {
      // already created
    }
  }
  const d = await connectRaw(hub, id, subscribe ? { subscribe } : {});
  open.push(d);
  return d;
}

describe('twin requests over MQTT', () => {
  it('answers GET with 200 and the properties without a wrapper or $metadata', async () => {
    hub.createDevice('d1', { desired: { fan: 'auto' } });
    const d = await device('d1');
    const res = await d.request(topics.twinGet('1'), '', '1');
    expect(res.topic).toBe('$iothub/twin/res/200/?$rid=1');
    expect(JSON.parse(res.body)).toEqual({ desired: { fan: 'auto', $version: 2 }, reported: { $version: 1 } });
  });

  it('answers a reported PATCH with 204, an empty body and the new $version in the topic', async () => {
    const d = await device('d1');
    const res = await d.request(topics.twinPatchReported('r1'), JSON.stringify({ temp: 20 }), 'r1');
    expect(res.topic).toBe('$iothub/twin/res/204/?$rid=r1&$version=2');
    expect(res.body).toBe('');
    expect(hub.getTwin('d1').properties.reported.temp).toBe(20);
  });

  it('deletes a reported property patched to null', async () => {
    const d = await device('d1');
    await d.request(topics.twinPatchReported('a'), JSON.stringify({ a: 1, b: 2 }), 'a');
    await d.request(topics.twinPatchReported('b'), JSON.stringify({ a: null }), 'b');
    const reported = hub.getTwin('d1').properties.reported;
    expect(reported.a).toBeUndefined();
    expect(reported.b).toBe(2);
  });

  it('refuses a reported PATCH whose $version is stale with 412 and changes nothing', async () => {
    const d = await device('d1');
    await d.request(topics.twinPatchReported('a'), JSON.stringify({ a: 1 }), 'a');
    const res = await d.request(topics.twinPatchReported('b', 1), JSON.stringify({ a: 2 }), 'b');
    expect(res.topic).toBe('$iothub/twin/res/412/?$rid=b');
    expect(JSON.parse(res.body)).toMatchObject({ errorCode: 412001 });
    expect(hub.getTwin('d1').properties.reported.a).toBe(1);
  });

  it('answers responses out of request order correctly correlated by $rid', async () => {
    const d = await device('d1');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => d.request(topics.twinPatchReported(`p${i}`), JSON.stringify({ [`k${i}`]: i }), `p${i}`)));
    expect(results.every((r) => r.topic.startsWith('$iothub/twin/res/204/'))).toBe(true);
    expect(hub.getTwin('d1').properties.reported.$version).toBe(21);
  });
});

describe('bad input over MQTT gets an error and keeps the connection', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['malformed JSON', '{"a":', /not valid JSON/],
    ['a JSON array', '[1,2]', /JSON object/],
    ['a JSON string', '"x"', /JSON object/],
    ['a key with a dot', JSON.stringify({ 'a.b': 1 }), /'\.'/],
    ['a key with a $', JSON.stringify({ $a: 1 }), /'\$'/],
    ['a key with a space', JSON.stringify({ 'a b': 1 }), /space/],
    ['a key with a control character', JSON.stringify({ 'a\u0001b': 1 }), /control character/],
    ['a key over 1 KB', JSON.stringify({ ['k'.repeat(1025)]: 1 }), /longer than 1024 bytes/],
    ['an array nested deeper than 10 levels', JSON.stringify({ a: [[[[[[[[[[[1]]]]]]]]]]] }), /depth/],
    ['an integer out of range', '{"n": 4503599627370496}', /range/],
    ['a string over 4 KB', JSON.stringify({ s: 'x'.repeat(4097) }), /4096 bytes/],
    ['nesting deeper than 10 levels', JSON.stringify({ l1: { l2: { l3: { l4: { l5: { l6: { l7: { l8: { l9: { l10: { l11: { leaf: 1 } } } } } } } } } } } }), /depth/],
    ['a property over 4 KB', JSON.stringify({ p: { a: 'x'.repeat(3000), b: 'y'.repeat(3000) } }), /each property is limited/],
  ];
  it.each(cases)('answers %s with 400 / 400004 and a message naming the limit', async (_name, body, message) => {
    const d = await device('d1');
    const res = await d.request(topics.twinPatchReported('bad'), body, 'bad');
    expect(res.topic).toBe('$iothub/twin/res/400/?$rid=bad');
    const error = JSON.parse(res.body) as { errorCode: number; message: string };
    expect(error.errorCode).toBe(400004);
    expect(error.message).toMatch(message);
    // The connection is still up and the twin untouched.
    const after = await d.request(topics.twinGet('ok'), '', 'ok');
    expect(JSON.parse(after.body)).toEqual({ desired: { $version: 1 }, reported: { $version: 1 } });
    expect(d.client.connected).toBe(true);
  });

  it('refuses a reported section that would grow over 32 KB and keeps what was there', async () => {
    const d = await device('d1');
    for (let i = 0; i < 8; i++) {
      const res = await d.request(topics.twinPatchReported(`f${i}`), JSON.stringify({ [`p${i}`]: 'x'.repeat(4000) }), `f${i}`);
      expect(res.topic).toMatch(/^\$iothub\/twin\/res\/204\//);
    }
    const res = await d.request(topics.twinPatchReported('over'), JSON.stringify({ p8: 'x'.repeat(4000) }), 'over');
    expect(res.topic).toBe('$iothub/twin/res/400/?$rid=over');
    expect(JSON.parse(res.body).message).toMatch(/32768 bytes/);
    expect(Object.keys(hub.getTwin('d1').properties.reported).filter((k) => k.startsWith('p'))).toHaveLength(8);
  });

  it('answers a method response for an unknown $rid by ignoring it', async () => {
    const d = await device('d1');
    d.client.publish(topics.methodResponse(200, 'nope'), '{}');
    const res = await d.request(topics.twinGet('after'), '', 'after');
    expect(res.topic).toMatch(/^\$iothub\/twin\/res\/200\//);
  });

  it('closes the connection on a QoS 2 publish, as the real hub does', async () => {
    const d = await device('d1');
    const wasClosed = closed(d.client);
    d.client.publish(topics.telemetry('d1'), 'x', { qos: 2 });
    await wasClosed;
    const other = await device('d2');
    expect((await other.request(topics.twinGet('1'), '', '1')).topic).toMatch(/\/200\//);
  });

  it('acknowledges QoS 1 publishes on $iothub topics', async () => {
    const d = await device('d1');
    await d.client.publishAsync(topics.twinPatchReported('q1'), JSON.stringify({ q: 1 }), { qos: 1 });
    await expect.poll(() => hub.getTwin('d1').properties.reported.q).toBe(1);
  });
});

describe('isolation between devices', () => {
  it('never delivers one device\'s twin responses to another device subscribed to the same filter', async () => {
    const a = await device('a', [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER]);
    const b = await device('b', [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER]);
    await a.request(topics.twinGet('same'), '', 'same');
    await a.request(topics.twinPatchReported('p'), '{"x":1}', 'p');
    hub.updateTwin('a', { properties: { desired: { secret: 'for-a' } } });
    await expect.poll(() => a.messages.some((m) => m.topic.startsWith('$iothub/twin/PATCH/properties/desired/'))).toBe(true);
    const bGet = await b.request(topics.twinGet('same'), '', 'same');
    expect(JSON.parse(bGet.body).desired.secret).toBeUndefined();
    expect(b.messages).toHaveLength(1);
  });

  it('refuses subscriptions to another device\'s topics and to wildcards', async () => {
    hub.createDevice('victim');
    const d = await device('d1', [TWIN_RESPONSE_FILTER]);
    for (const foreign of ['devices/victim/messages/devicebound/#', '#', '$iothub/#', 'devices/+/messages/events/#', '$iothub/twin/res/+']) {
      await expect(d.client.subscribeAsync(foreign, { qos: 1 }), foreign).rejects.toThrow(/Subscribe error/);
    }
    const own = await d.client.subscribeAsync('devices/d1/messages/devicebound/#', { qos: 1 });
    expect(own[0]?.qos).toBe(1);
  });

  it('drops a device that publishes on another device\'s telemetry topic', async () => {
    hub.createDevice('victim');
    const d = await device('d1');
    const wasClosed = closed(d.client);
    d.client.publish(topics.telemetry('victim'), 'spoof');
    await wasClosed;
    expect(hub.telemetry({ deviceId: 'victim' })).toHaveLength(0);
  });

  it('closes the connection of a device that publishes on a topic containing U+0000, keeping nothing of it', async () => {
    const witness = await device('witness');
    for (const topic of [`${topics.telemetry('d1')}\u0000`, '$iothub/twin/PATCH/properties/reported/?$rid=nul\u0000']) {
      const d = await device('d1');
      const wasClosed = closed(d.client);
      d.client.publish(topic, JSON.stringify({ nul: 1 }));
      await wasClosed;
    }
    expect(hub.telemetry({ deviceId: 'd1' })).toHaveLength(0);
    expect(hub.getTwin('d1').properties.reported.nul).toBeUndefined();
    expect(hub.connectedDevices()).toContain('witness');
    expect((await witness.request(topics.twinGet('w'), '', 'w')).topic).toMatch(/\/200\//);
  });

  it('drops the older connection when the same identity connects again', async () => {
    const first = await device('d1');
    const wasClosed = closed(first.client);
    const second = await connectRaw(hub, 'd1');
    open.push(second);
    await wasClosed;
    expect(hub.connectedDevices()).toEqual(['d1']);
    expect((await second.request(topics.twinGet('2'), '', '2')).topic).toMatch(/\/200\//);
  });
});

describe('telemetry', () => {
  it('keeps telemetry with its property bag and emits an event', async () => {
    const d = await device('d1');
    const event = once(hub.events, 'telemetry');
    d.client.publish(topics.telemetry("d1", { "$.ct": "application/json", alert: "high" }), '{"t":1}', { qos: 1, retain: true });
    const [message] = (await event) as [TelemetryMessage];
    expect(message.properties).toEqual({ alert: 'high', 'mqtt-retain': 'true' });
    expect(message.systemProperties).toEqual({ contentType: 'application/json' });
    expect(message.body.toString()).toBe('{"t":1}');
    expect(hub.telemetry({ deviceId: 'd1' })).toHaveLength(1);
  });

  it('records a device request and a desired notification in the traffic record, with topics and payloads', async () => {
    const d = await device('d1', [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER]);
    await d.request(topics.twinPatchReported('t'), JSON.stringify({ a: 1 }), 't');
    hub.updateTwin('d1', { properties: { desired: { b: 2 } } });
    await expect.poll(() => hub.traffic({ deviceId: 'd1', direction: 'out' }).map((r) => r.operation)).toEqual(['twin.desiredNotification']);
    const [patch, notification] = hub.traffic({ deviceId: 'd1', operation: 'twin.*' });
    expect(patch).toMatchObject({ direction: 'in', operation: 'twin.patchReported', topic: topics.twinPatchReported('t'), payload: '{"a":1}', status: 204, requestId: 't' });
    expect(notification).toMatchObject({ direction: 'out', operation: 'twin.desiredNotification', payload: expect.stringContaining('"b":2') as unknown });
  });
});

describe('the MQTT session rules of the real hub', () => {
  it('has stored a QoS 1 reported patch by the time the PUBACK arrives', async () => {
    const d = await device('d1');
    await d.client.publishAsync(topics.twinPatchReported('q1'), JSON.stringify({ firmware: '2.0' }), { qos: 1 });
    expect(hub.getTwin('d1').properties.reported.firmware).toBe('2.0');
  });

  it('carries out twin requests from a device that never subscribed to responses, but sends it no answer', async () => {
    const d = await device('d1', []);
    await d.client.publishAsync(topics.twinPatchReported('quiet'), JSON.stringify({ quiet: true }), { qos: 1 });
    await d.client.publishAsync(topics.twinGet('quiet-get'), '', { qos: 1 });
    expect(hub.getTwin('d1').properties.reported.quiet).toBe(true);
    expect(d.messages).toEqual([]);
  });

  it('answers a GET sent in the same TCP write as its SUBSCRIBE, on a CleanSession=0 connection', async () => {
    hub.createDevice('eager');
    const key = parseConnectionString(hub.deviceConnectionString('eager')).SharedAccessKey as string;
    const socket = connectTls({ host: 'localhost', port: hub.ports.mqtt, ca: hub.caPem as string });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const received: mqttPacket.Packet[] = [];
    const arrived = (test: (p: mqttPacket.Packet) => boolean): Promise<mqttPacket.Packet> =>
      new Promise((resolve) => {
        const check = (): void => {
          const found = received.find(test);
          if (found) resolve(found);
          else parser.once('packet', check);
        };
        check();
      });
    parser.on('packet', (packet) => received.push(packet));
    socket.on('data', (chunk) => parser.parse(chunk));
    try {
      await once(socket, 'secureConnect');
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: false,
          clientId: 'eager',
          keepalive: 0,
          username: `${hub.hostName}/eager/?api-version=2021-04-12`,
          password: Buffer.from(signSasToken(`${hub.hostName}/devices/eager`, key, Math.floor(Date.now() / 1000) + 3600)),
        }),
      );
      expect(await arrived((p) => p.cmd === 'connack')).toMatchObject({ returnCode: 0 });
      socket.write(
        Buffer.concat([
          mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: TWIN_RESPONSE_FILTER, qos: 0 }] }),
          mqttPacket.generate({ cmd: 'publish', topic: topics.twinGet('eager-1'), payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }),
        ]),
      );
      const answer = await arrived((p) => p.cmd === 'publish');
      expect((answer as mqttPacket.IPublishPacket).topic).toBe('$iothub/twin/res/200/?$rid=eager-1');
    } finally {
      socket.destroy();
    }
  });

  it('grants QoS 1 to a SUBSCRIBE that asks for QoS 2', async () => {
    const d = await device('d1', []);
    const granted = await d.client.subscribeAsync(TWIN_RESPONSE_FILTER, { qos: 2 });
    expect(granted[0]?.qos).toBe(1);
  });

  it('closes the connection when the SAS token it connected with expires', async () => {
    hub.createDevice('short-lived');
    const d = await connectRaw(hub, 'short-lived', { tokenSeconds: 3 });
    open.push(d);
    await closed(d.client);
    await expect.poll(() => hub.connectedDevices()).not.toContain('short-lived');
  });
});
