import { DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER, TWIN_RESPONSE_FILTER, parseDeviceTopic, topics } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { isDeviceClientError } from '../errors.js';
import { ManualScheduler, flushAsyncWork } from '../scheduler/manual-scheduler.js';
import { FakeMqttHub } from '../testing/fake-mqtt-hub.js';
import { DeviceClient, type DeviceClientOptions, type DisconnectInfo } from './device-client.js';

const KEY = Buffer.from('k').toString('base64');
const CS = `HostName=localhost;DeviceId=d1;SharedAccessKey=${KEY}`;

function setup(options: Partial<DeviceClientOptions> = {}) {
  const hub = new FakeMqttHub();
  const scheduler = new ManualScheduler();
  const client = new DeviceClient({ connectionString: CS, connector: hub.connector, scheduler, ...options });
  return { hub, scheduler, client };
}

const ridOf = (topic: string): string => {
  const parsed = parseDeviceTopic(topic);
  if (parsed.kind !== 'twinGet' && parsed.kind !== 'twinPatchReported' && parsed.kind !== 'methodResponse') throw new Error(topic);
  return parsed.rid;
};

describe('DeviceClient connection', () => {
  it('opens with the client id, username and SAS password Node would send', async () => {
    const { hub, client } = setup();
    await client.open();
    expect(client.isConnected).toBe(true);
    const params = hub.connects[0];
    expect(params).toMatchObject({ clientId: 'd1', cleanSession: false, keepaliveSeconds: 180, url: 'mqtts://localhost:8883' });
    expect(params?.username).toMatch(/^localhost\/d1\/\?api-version=2021-04-12&DeviceClientType=/);
    expect(params?.password).toMatch(/^SharedAccessSignature sr=localhost%2Fdevices%2Fd1&sig=/);
  });

  it('rejects open() with Unauthorized when the hub refuses the credentials', async () => {
    const { hub, client } = setup();
    hub.refuse.set('d1', 5);
    const error = await client.open().catch((e: unknown) => e);
    expect(isDeviceClientError(error, 'Unauthorized')).toBe(true);
    expect(client.isConnected).toBe(false);
  });

  it('refuses requests while not connected', async () => {
    const { client } = setup();
    await expect(client.getTwin()).rejects.toMatchObject({ kind: 'NotConnected' });
    await expect(client.sendTelemetry({ a: 1 })).rejects.toMatchObject({ kind: 'NotConnected' });
  });

  it('emits disconnect and connect around a restart, and reconnects with a fresh token', async () => {
    const { hub, scheduler, client } = setup();
    await client.open();
    const events: string[] = [];
    client.on('disconnect', (i) => events.push(`disconnect:${i.reason}`));
    client.on('connect', (i) => events.push(`connect:${i.reconnected}`));
    const restarted = client.restart({ downtimeMs: 1_000 });
    await scheduler.advance(999);
    expect(client.isConnected).toBe(false);
    await scheduler.advance(1);
    await restarted;
    expect(events).toEqual(['disconnect:restart', 'connect:true']);
    expect(hub.connects).toHaveLength(2);
  });

  it('reconnects with backoff after the connection drops and restores its subscriptions in one SUBSCRIBE before connect', async () => {
    const { hub, scheduler, client } = setup({ reconnect: { initialDelayMs: 1_000, jitter: 0 } });
    await client.open();
    await client.onDesired(() => undefined);
    await client.onMethod('*', () => ({ status: 200 }));
    const disconnected = new Promise<DisconnectInfo>((resolve) => client.once('disconnect', resolve));
    const reconnected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
    hub.drop('d1');
    expect(await disconnected).toMatchObject({ reason: 'lost', willReconnect: true });
    await scheduler.advance(1_000);
    await reconnected;
    expect(client.isConnected).toBe(true);
    expect(hub.subscribes.at(-1)).toEqual({ clientId: 'd1', filters: [DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER], qos: 0 });
  });

  it('doubles the reconnect delay after each failed attempt', async () => {
    const { hub, scheduler, client } = setup({ reconnect: { initialDelayMs: 1_000, maxDelayMs: 10_000, jitter: 0 } });
    await client.open();
    hub.refuse.set('d1', 3);
    hub.drop('d1');
    await scheduler.advance(1_000);
    expect(hub.connects).toHaveLength(2);
    await scheduler.advance(1_999);
    expect(hub.connects).toHaveLength(2);
    await scheduler.advance(1);
    expect(hub.connects).toHaveLength(3);
    hub.refuse.delete('d1');
    await scheduler.advance(4_000);
    expect(client.isConnected).toBe(true);
  });

  it('stops reconnecting when the hub says Unauthorized and reports it as an error', async () => {
    const { hub, scheduler, client } = setup({ reconnect: { initialDelayMs: 10, jitter: 0 } });
    await client.open();
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    hub.refuse.set('d1', 5);
    hub.drop('d1');
    await scheduler.advance(10);
    await scheduler.advance(10_000);
    expect(hub.connects).toHaveLength(2);
    expect(errors.map((e) => isDeviceClientError(e, 'Unauthorized'))).toEqual([true]);
  });

  it('renews the SAS token by reconnecting before it expires', async () => {
    const { hub, scheduler, client } = setup({ tokenLifetimeSeconds: 3_600, tokenRenewalMarginSeconds: 900 });
    await client.open();
    const renewed = new Promise<DisconnectInfo>((resolve) => client.once('disconnect', resolve));
    await scheduler.advance(2_700_000);
    expect(await renewed).toMatchObject({ reason: 'tokenRenewal' });
    await flushAsyncWork();
    expect(hub.connects).toHaveLength(2);
    expect(hub.connects[1]?.password).not.toBe(hub.connects[0]?.password);
  });

  it('closes cleanly: no reconnect, requests in flight fail with Closed', async () => {
    const { hub, scheduler, client } = setup();
    await client.open();
    hub.autoRespond = false;
    const pending = client.getTwin().catch((e: unknown) => e);
    await flushAsyncWork();
    await client.close();
    expect(await pending).toMatchObject({ kind: 'Closed' });
    await scheduler.advance(60_000);
    expect(hub.connects).toHaveLength(1);
  });
});

describe('DeviceClient twin requests', () => {
  it('subscribes to the twin response topic at QoS 0 once, before the first request', async () => {
    const { hub, client } = setup();
    await client.open();
    await client.getTwin();
    await client.getTwin();
    expect(hub.subscribes).toEqual([{ clientId: 'd1', filters: [TWIN_RESPONSE_FILTER], qos: 0 }]);
    expect(hub.published[0]).toMatchObject({ payload: ' ', qos: 0 });
    expect(hub.published[0]?.topic).toMatch(/^\$iothub\/twin\/GET\/\?\$rid=/);
  });

  it('returns desired and reported with their $version', async () => {
    const { hub, client } = setup();
    await client.open();
    hub.twin('d1').reported = { temperature: 32 };
    expect(await client.getTwin()).toEqual({ desired: { $version: 1 }, reported: { temperature: 32, $version: 1 } });
  });

  it('matches responses that arrive out of order by $rid', async () => {
    const { hub, client } = setup();
    await client.open();
    hub.autoRespond = false;
    const first = client.getTwin();
    const second = client.updateReported({ a: 1 });
    const getSent = await hub.nextPublish((p) => p.topic.startsWith('$iothub/twin/GET/'), true);
    const patchSent = await hub.nextPublish((p) => p.topic.startsWith('$iothub/twin/PATCH/'), true);
    hub.send('d1', topics.twinResponse(204, ridOf(patchSent.topic), 7), '');
    hub.send('d1', topics.twinResponse(200, ridOf(getSent.topic)), JSON.stringify({ desired: { $version: 3 }, reported: { $version: 6 } }));
    await expect(second).resolves.toEqual({ version: 7 });
    await expect(first).resolves.toMatchObject({ desired: { $version: 3 } });
  });

  it('sends the base version of a reported patch and resolves with the new $version', async () => {
    const { hub, client } = setup();
    await client.open();
    const result = await client.updateReported({ a: 1 }, { version: 1 });
    expect(result).toEqual({ version: 2 });
    expect(hub.published[0]?.topic).toMatch(/^\$iothub\/twin\/PATCH\/properties\/reported\/\?\$rid=\d+&\$version=1$/);
    expect(hub.published[0]?.payload).toBe('{"a":1}');
  });

  it('rejects with the hub errorCode and status when the response body has one', async () => {
    const { hub, client } = setup();
    await client.open();
    hub.autoRespond = false;
    const request = client.updateReported({ a: 1 }).catch((e: unknown) => e);
    const sent = await hub.nextPublish((p) => p.topic.includes('/PATCH/'), true);
    hub.send('d1', topics.twinResponse(400, ridOf(sent.topic)), JSON.stringify({ errorCode: 400004, message: 'Bad', trackingId: 'tr' }));
    expect(await request).toMatchObject({ kind: 'HubError', status: 400, errorCode: 400004, trackingId: 'tr', deviceId: 'd1' });
  });

  it('times out a request after timeoutMs and ignores the late answer', async () => {
    const { hub, scheduler, client } = setup();
    await client.open();
    hub.autoRespond = false;
    const request = client.getTwin({ timeoutMs: 5_000 }).catch((e: unknown) => e);
    const sent = await hub.nextPublish((p) => p.topic.includes('/GET/'), true);
    await scheduler.advance(5_000);
    expect(await request).toMatchObject({ kind: 'Timeout' });
    hub.send('d1', topics.twinResponse(200, ridOf(sent.topic)), '{}');
    await flushAsyncWork();
  });

  it('fails requests in flight with Disconnected when the connection drops', async () => {
    const { hub, client } = setup();
    await client.open();
    hub.autoRespond = false;
    const request = client.getTwin().catch((e: unknown) => e);
    await hub.nextPublish((p) => p.topic.includes('/GET/'), true);
    hub.drop('d1');
    expect(await request).toMatchObject({ kind: 'Disconnected' });
  });

  it('rejects a reported patch that is not an object', async () => {
    const { client } = setup();
    await client.open();
    await expect(client.updateReported([] as never)).rejects.toMatchObject({ kind: 'InvalidArgument' });
  });
});

describe('DeviceClient desired notifications and methods', () => {
  it('delivers desired notifications with their $version to onDesired handlers', async () => {
    const { hub, client } = setup();
    await client.open();
    const got = new Promise((resolve) => void client.onDesired(resolve));
    await flushAsyncWork();
    hub.patchDesired('d1', { fanSpeed: 3 });
    expect(await got).toEqual({ fanSpeed: 3, $version: 2 });
  });

  it('answers a method on $iothub/methods/res/{status}/?$rid= with the handler payload', async () => {
    const { hub, client } = setup();
    await client.open();
    await client.onMethod('getTemp', (payload) => ({ status: 200, payload: { echo: payload, temp: 21 } }));
    const answer = await hub.invokeMethod('d1', 'getTemp', { unit: 'C' }, 'r42');
    expect(answer).toEqual({ status: 200, payload: { echo: { unit: 'C' }, temp: 21 } });
    expect(hub.published.at(-1)).toMatchObject({ topic: '$iothub/methods/res/200/?$rid=r42', qos: 0 });
  });

  it('routes unknown methods to the * handler, and answers 404 when there is none', async () => {
    const { hub, client } = setup();
    await client.open();
    const off = await client.onMethod('*', (_p, request) => ({ status: 202, payload: request.methodName }));
    expect(await hub.invokeMethod('d1', 'anything', null)).toEqual({ status: 202, payload: 'anything' });
    off();
    expect((await hub.invokeMethod('d1', 'anything', null)).status).toBe(404);
  });

  it('answers 500 when a handler throws, and sends null for a missing payload', async () => {
    const { hub, client } = setup();
    await client.open();
    await client.onMethod('bad', () => {
      throw new Error('broken');
    });
    await client.onMethod('empty', () => ({ status: 200 }));
    expect(await hub.invokeMethod('d1', 'bad', null)).toEqual({ status: 500, payload: { message: 'broken' } });
    await hub.invokeMethod('d1', 'empty', null);
    expect(hub.published.at(-1)?.payload).toBe('null');
  });

  it('runs afterResponse only once the answer is published', async () => {
    const { hub, client } = setup();
    await client.open();
    const order: string[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    await client.onMethod('reboot', () => ({
      status: 200,
      afterResponse: () => {
        order.push(`after (answers so far: ${hub.published.filter((p) => p.topic.startsWith('$iothub/methods/res/')).length})`);
        finished();
      },
    }));
    await hub.invokeMethod('d1', 'reboot', null);
    await done;
    expect(order).toEqual(['after (answers so far: 1)']);
  });

  it('emits every method request as an event', async () => {
    const { hub, client } = setup();
    await client.open();
    const seen: string[] = [];
    client.on('method', (r) => seen.push(`${r.methodName}:${r.rid}`));
    await client.onMethod('*', () => ({ status: 200 }));
    await hub.invokeMethod('d1', 'ping', null, 'x1');
    expect(seen).toEqual(['ping:x1']);
  });
});

describe('DeviceClient telemetry', () => {
  it('publishes on devices/{id}/messages/events/ at QoS 1 with JSON content type for objects', async () => {
    const { hub, client } = setup();
    await client.open();
    await client.sendTelemetry({ temperature: 20 }, { alert: 'no' });
    expect(hub.published[0]).toMatchObject({ qos: 1, payload: '{"temperature":20}' });
    expect(hub.published[0]?.topic).toBe('devices/d1/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&alert=no');
  });

  it('sends strings and bytes as they are, on the module topic for a module', async () => {
    const hub = new FakeMqttHub();
    const client = new DeviceClient({ connectionString: `${CS};ModuleId=m1`, connector: hub.connector, scheduler: new ManualScheduler() });
    await client.open();
    await client.sendTelemetry('raw text');
    expect(hub.published[0]).toMatchObject({ topic: 'devices/d1/modules/m1/messages/events/', payload: 'raw text' });
  });

  it('counts what it sends and receives', async () => {
    const { client } = setup();
    await client.open();
    await client.sendTelemetry(1);
    await client.getTwin();
    expect(client.traffic).toMatchObject({ sent: 2, received: 1, telemetry: 1, twinRequests: 1, connects: 1 });
  });
});
