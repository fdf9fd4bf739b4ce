import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER, parseConnectionString, signSasToken, topics, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import { startHub, type FaultAppliedEvent, type Hub, type RequestEvent } from '../../src/index.js';
import { closed, connectRaw } from '../raw-device.js';

let hub: Hub;
const requests: RequestEvent[] = [];
const applied: FaultAppliedEvent[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false });
  hub.events.on('request', (e) => void requests.push(e));
  hub.events.on('faultApplied', (e) => void applied.push(e));
});
afterEach(() => {
  hub.faults.clear();
});
afterAll(async () => {
  await hub.stop();
});

describe('faults on the MQTT device plane', () => {
  it('fails the next twin GET with the chosen status and the service body, then answers normally', async () => {
    hub.createDevice('m-fail');
    const d = await connectRaw(hub, 'm-fail');
    const fault = hub.faults.add({ id: 'throttle-get', operation: 'twin.get', device: 'm-*', count: 1, action: 'fail', status: 429 });
    expect(fault).toMatchObject({ id: 'throttle-get', applied: 0 });
    const failed = await d.request(topics.twinGet('1'), '', '1');
    expect(failed.topic).toBe('$iothub/twin/res/429/?$rid=1');
    expect(JSON.parse(failed.body)).toMatchObject({ errorCode: 429001, message: expect.stringContaining('throttled') });
    expect((await d.request(topics.twinGet('2'), '', '2')).topic).toMatch(/^\$iothub\/twin\/res\/200\//);
    expect(requests.find((r) => r.requestId === '1' && r.deviceId === 'm-fail')).toMatchObject({ status: 429, errorCode: 'ThrottlingException', fault: 'throttle-get' });
    expect(applied).toContainEqual(expect.objectContaining({ faultId: 'throttle-get', action: 'fail', operation: 'twin.get', deviceId: 'm-fail' }));
    expect(hub.faults.list()).toEqual([expect.objectContaining({ id: 'throttle-get', applied: 1 })]);
    await d.close();
  });

  it('delays a reported patch and keeps the device’s later requests behind it, in order', async () => {
    hub.createDevice('m-delay');
    const d = await connectRaw(hub, 'm-delay');
    hub.faults.add({ operation: 'twin.patchReported', count: 1, action: 'delay', delayMs: 300 });
    const patched = d.request(topics.twinPatchReported('p'), JSON.stringify({ fw: '2.0' }), 'p');
    const read = await d.request(topics.twinGet('g'), '', 'g');
    expect(JSON.parse(read.body).reported.fw).toBe('2.0');
    expect((await patched).topic).toMatch(/^\$iothub\/twin\/res\/204\//);
    expect(d.messages.map((m) => /\$rid=(\w+)/.exec(m.topic)?.[1])).toEqual(['p', 'g']);
    await d.close();
  });

  it('drops a twin GET silently: no answer, the connection stays up', async () => {
    hub.createDevice('m-drop');
    const d = await connectRaw(hub, 'm-drop');
    hub.faults.add({ operation: 'twin.get', device: 'm-drop', count: 1, action: 'drop' });
    d.client.publish(topics.twinGet('lost'), '');
    expect((await d.request(topics.twinGet('next'), '', 'next')).topic).toMatch(/res\/200\//);
    expect(d.messages.some((m) => m.topic.includes('$rid=lost'))).toBe(false);
    expect(requests.find((r) => r.requestId === 'lost')).toMatchObject({ status: 0, fault: expect.stringMatching(/^fault-/) });
    await d.close();
  });

  it('disconnects a device after N operations, and at once when no count of operations is given', async () => {
    hub.createDevice('m-cut');
    const d = await connectRaw(hub, 'm-cut');
    hub.faults.add({ id: 'cut', operation: 'twin.get', device: 'm-cut', afterOperations: 1, action: 'disconnect' });
    expect((await d.request(topics.twinGet('1'), '', '1')).topic).toMatch(/res\/200\//);
    const gone = closed(d.client);
    d.client.publish(topics.twinGet('2'), '');
    await gone;
    hub.faults.clear('cut');

    const again = await connectRaw(hub, 'm-cut');
    const goneNow = closed(again.client);
    hub.faults.add({ operation: 'twin.get', device: 'm-cut', action: 'disconnect' });
    await goneNow;
  });

  it('refuses connections with CONNACK 3 (server unavailable) until the fault is cleared', async () => {
    hub.createDevice('m-refuse');
    hub.faults.add({ id: 'down', operation: 'connect', action: 'refuse' });
    const cs = parseConnectionString(hub.deviceConnectionString('m-refuse'));
    const options = {
      ca: hub.caPem,
      clientId: 'm-refuse',
      username: `${cs.HostName}/m-refuse/?api-version=2021-04-12`,
      password: signSasToken(`${cs.HostName}/devices/m-refuse`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 600),
      protocolVersion: 4 as const,
      reconnectPeriod: 0,
    };
    await expect(mqtt.connectAsync(`mqtts://localhost:${hub.ports.mqtt}`, options)).rejects.toMatchObject({ code: 3 });
    expect([...requests].reverse().find((r) => r.operation === 'connect')).toMatchObject({ status: 503, errorCode: 'ServiceUnavailable', fault: 'down' });
    hub.faults.clear('down');
    const client = await mqtt.connectAsync(`mqtts://localhost:${hub.ports.mqtt}`, options);
    await client.endAsync(true);
  });

  it('pauses desired notifications and releases them in order when the fault is deleted', async () => {
    hub.createDevice('m-pause');
    const d = await connectRaw(hub, 'm-pause', { subscribe: [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER] });
    hub.faults.add({ id: 'partition', operation: 'twin.desired', device: 'm-pause', action: 'pause' });
    for (const n of [1, 2, 3]) hub.updateTwin('m-pause', { properties: { desired: { n } } });
    // A round trip on the same connection: anything pushed before its answer would be there by now.
    await d.request(topics.twinGet('g'), '', 'g');
    expect(d.messages.filter((m) => m.topic.startsWith('$iothub/twin/PATCH'))).toEqual([]);
    hub.faults.clear('partition');
    await expect.poll(() => d.messages.filter((m) => m.topic.startsWith('$iothub/twin/PATCH')).map((m) => JSON.parse(m.body).n)).toEqual([1, 2, 3]);
    await d.close();
  });

  it('fails a method call with the chosen error, and makes one time out with 504 GatewayTimeout', async () => {
    hub.createDevice('m-method');
    const d = await connectRaw(hub, 'm-method', { subscribe: [METHOD_REQUEST_FILTER] });
    hub.faults.add({ operation: 'method.invoke', device: 'm-method', count: 1, action: 'fail', errorCode: 'ServiceUnavailable' });
    await expect(hub.invokeMethod('m-method', { methodName: 'reboot' })).rejects.toMatchObject({ errorCode: 'ServiceUnavailable', status: 503 });
    hub.faults.add({ operation: 'method.invoke', device: 'm-method', count: 1, action: 'timeout' });
    await expect(hub.invokeMethod('m-method', { methodName: 'reboot', responseTimeoutInSeconds: 5 })).rejects.toMatchObject({ errorCode: 'GatewayTimeout', status: 504 });
    expect(d.messages).toEqual([]);
    await d.close();
  }, 15_000);

  it('ends a fault given a duration by itself, and a reset clears every fault', async () => {
    hub.faults.add({ id: 'brief', operation: 'twin.get', forMs: 50, action: 'drop' });
    await expect.poll(() => hub.faults.list().map((f) => f.id)).toEqual([]);
    hub.faults.add({ operation: 'twin.get', action: 'drop' });
    await hub.reset();
    expect(hub.faults.list()).toEqual([]);
  });
});
