import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client as ServiceClient, Registry } from 'azure-iothub';
import type { FaultAppliedEvent, RequestEvent } from '@hubemu/hub-emulator';
import { DESIRED_PATCH_FILTER, METHOD_REQUEST_FILTER } from '@hubemu/shared';
import { rejection, startE2eHub, waitFor } from './hub-fixture.js';

// Microsoft's SDKs meet injected faults and tier throttles on the real ports: they see the errors the
// real service gives, and their retries succeed once a fault is cleared.

type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;

describe("faults seen by Microsoft's SDKs", () => {
  let hub: E2eHub;
  const requests: RequestEvent[] = [];
  const applied: FaultAppliedEvent[] = [];

  beforeAll(async () => {
    hub = await startE2eHub({ inMemory: true, dashboard: false });
    hub.events.on('request', (e) => void requests.push(e));
    hub.events.on('faultApplied', (e) => void applied.push(e));
  });
  afterAll(async () => {
    await hub.dispose();
  });

  it("azure-iot-device's open retries a connection refused with CONNACK 3 and connects once the fault is cleared", async () => {
    const { connectionString } = hub.createDevice('sdk-refused');
    hub.faults.add({ id: 'outage', operation: 'connect', device: 'sdk-refused', action: 'refuse' });
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    const opened = client.open();
    await waitFor(() => requests.find((r) => r.operation === 'connect' && r.fault === 'outage'), 10_000, 'a refused CONNECT');
    hub.faults.clear('outage');
    await opened;
    expect(hub.connectedDevices()).toContain('sdk-refused');
    await client.close();
  });

  it("azure-iot-device's getTwin fails with the service's message while the fault acts, and works after it", async () => {
    const { connectionString } = hub.createDevice('sdk-twin', { desired: { interval: 5 } });
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.open();
    hub.faults.add({ operation: 'twin.get', device: 'sdk-twin', count: 1, action: 'fail', status: 503 });
    expect((await rejection(client.getTwin())).message).toContain('temporarily unavailable');
    const twin = await client.getTwin();
    expect(twin.properties.desired.interval).toBe(5);
    await client.close();
  });

  it("azure-iot-device's getTwin stays unanswered when its GET is dropped (the SDK sets no timeout on MQTT twin requests); the connection stays up and the next GET is answered", async () => {
    const { connectionString } = hub.createDevice('sdk-drop', { desired: { interval: 7 } });
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.open();
    hub.faults.add({ id: 'lost', operation: 'twin.get', device: 'sdk-drop', count: 1, action: 'drop' });
    let lostSettled = false;
    void client.getTwin().then(
      () => (lostSettled = true),
      () => (lostSettled = true),
    );
    expect(await waitFor(() => requests.find((r) => r.fault === 'lost'), 10_000, 'the dropped twin GET')).toMatchObject({ operation: 'twin.get', status: 0 });
    const twin = await client.getTwin();
    expect(twin.properties.desired.interval).toBe(7);
    // One connection answers in order: had the hub answered the dropped GET, the SDK would have settled it first.
    expect(lostSettled).toBe(false);
    await client.close();
  });

  it("azure-iot-device's reported-properties update fails with the service's message while the fault acts, and is stored after it", async () => {
    const { connectionString } = hub.createDevice('sdk-report');
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.open();
    const twin = await client.getTwin();
    const report = (patch: object): Promise<void> =>
      new Promise((resolve, reject) => twin.properties.reported.update(patch, (error?: Error) => (error ? reject(error) : resolve())));
    hub.faults.add({ operation: 'twin.patchReported', device: 'sdk-report', count: 1, action: 'fail', status: 500 });
    expect((await rejection(report({ firmware: '1.0' }))).message).toContain('internal error');
    expect(hub.getTwin('sdk-report').properties.reported.firmware).toBeUndefined();
    await report({ firmware: '1.1' });
    expect(hub.getTwin('sdk-report').properties.reported.firmware).toBe('1.1');
    await client.close();
  });

  it("azure-iot-device reconnects by its own retry policy each time a disconnect fault cuts it, and answers its methods once the fault is cleared", async () => {
    const { connectionString } = hub.createDevice('sdk-cut');
    let connections = 0;
    const onConnected = (event: { deviceId: string }): void => {
      if (event.deviceId === 'sdk-cut') connections += 1;
    };
    hub.events.on('deviceConnected', onConnected);
    const device = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await device.open();
    device.onDeviceMethod('ping', (_request, response) => response.send(200, { pong: true }, () => {}));
    const subscribed = (): true | undefined => (hub.subscriptions('sdk-cut').includes(METHOD_REQUEST_FILTER) ? true : undefined);
    const reconnected = (n: number) => () => (connections >= n && subscribed() ? true : undefined);
    await waitFor(subscribed, 10_000, 'the method subscription');

    // Without afterOperations the fault also cuts the connected device at once; the SDK comes back by itself.
    hub.faults.add({ id: 'cut', operation: 'method.invoke', device: 'sdk-cut', action: 'disconnect' });
    await waitFor(reconnected(2), 20_000, 'the SDK reconnecting');
    const service = ServiceClient.fromConnectionString(hub.connectionString());
    const params = { methodName: 'ping', payload: null, responseTimeoutInSeconds: 10 };
    const cut = await rejection(service.invokeDeviceMethod('sdk-cut', params));
    expect(cut.response?.statusCode).toBe(404);
    expect(cut.responseBody).toContain('DeviceConnectionClosedRemotely');
    await waitFor(reconnected(3), 20_000, 'the SDK reconnecting again');

    hub.faults.clear('cut');
    const { result } = await service.invokeDeviceMethod('sdk-cut', params);
    expect(result).toMatchObject({ status: 200, payload: { pong: true } });
    expect(applied.filter((e) => e.faultId === 'cut')).toEqual([expect.objectContaining({ action: 'disconnect', operation: 'method.invoke', deviceId: 'sdk-cut' })]);
    hub.events.off('deviceConnected', onConnected);
    await service.close();
    await device.close();
  });

  it("azure-iot-device receives desired updates paused by a partition, in order, once it ends", async () => {
    const { connectionString } = hub.createDevice('sdk-partition');
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.open();
    const twin: Twin = await client.getTwin();
    const seen: number[] = [];
    twin.on('properties.desired', (delta: Record<string, unknown>) => {
      if (typeof delta.n === 'number') seen.push(delta.n);
    });
    await waitFor(() => (hub.subscriptions('sdk-partition').includes(DESIRED_PATCH_FILTER) ? true : undefined), 10_000, 'the desired subscription');
    hub.faults.add({ id: 'partition', operation: 'twin.desired', device: 'sdk-partition', action: 'pause' });
    for (const n of [1, 2, 3]) hub.updateTwin('sdk-partition', { properties: { desired: { n } } });
    expect(applied.filter((e) => e.faultId === 'partition')).toHaveLength(3);
    expect(seen).toEqual([]);
    hub.faults.clear('partition');
    await expect.poll(() => seen).toEqual([1, 2, 3]);
    await client.close();
  });

  it("azure-iothub's invokeDeviceMethod retries 503 ServiceUnavailable and gets the device's answer once the fault is spent", async () => {
    const { connectionString } = hub.createDevice('sdk-method');
    const device = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await device.open();
    device.onDeviceMethod('ping', (_request, response) => response.send(200, { pong: true }, () => {}));
    await waitFor(() => (hub.subscriptions('sdk-method').includes(METHOD_REQUEST_FILTER) ? true : undefined), 10_000, 'the method subscription');
    hub.faults.add({ id: 'busy', operation: 'http', route: 'POST /twins/:deviceId/methods', count: 2, action: 'fail', status: 503 });
    const service = ServiceClient.fromConnectionString(hub.connectionString());
    const { result } = await service.invokeDeviceMethod('sdk-method', { methodName: 'ping', payload: null, responseTimeoutInSeconds: 10 });
    expect(result).toMatchObject({ status: 200, payload: { pong: true } });
    expect(applied.filter((e) => e.faultId === 'busy')).toHaveLength(2);
    await service.close();
    await device.close();
  });

  it("azure-iothub's Registry raises ThrottlingError for an injected 429 and reads the twin once the fault is cleared", async () => {
    hub.createDevice('sdk-429');
    const registry = Registry.fromConnectionString(hub.connectionString());
    hub.faults.add({ id: 'throttle', operation: 'http', route: 'GET /twins/*', action: 'fail', status: 429 });
    expect((await rejection(registry.getTwin('sdk-429'))).constructor.name).toBe('ThrottlingError');
    hub.faults.clear('throttle');
    expect((await registry.getTwin('sdk-429')).responseBody.deviceId).toBe('sdk-429');
  });
});

describe("delays and method timeouts seen by Microsoft's SDKs, on a hub with a test clock", () => {
  // The hub's clock stands still until the test moves it, so a delay or a response timeout ends when
  // the test says, not after a real wait.
  let hub: E2eHub;
  const requests: RequestEvent[] = [];
  const applied: FaultAppliedEvent[] = [];

  beforeAll(async () => {
    hub = await startE2eHub({ inMemory: true, dashboard: false, clock: 'manual' });
    hub.events.on('request', (e) => void requests.push(e));
    hub.events.on('faultApplied', (e) => void applied.push(e));
  });
  afterAll(async () => {
    await hub.dispose();
  });

  it("azure-iot-device's getTwin held by a delay fault is answered once the delay has passed on the hub's clock", async () => {
    const { connectionString } = hub.createDevice('sdk-slow', { desired: { interval: 9 } });
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.open();
    hub.faults.add({ id: 'slow', operation: 'twin.get', device: 'sdk-slow', action: 'delay', delayMs: 5_000 });
    let answered = false;
    const reading = client.getTwin().finally(() => (answered = true));
    expect(await waitFor(() => applied.find((e) => e.faultId === 'slow'), 10_000, 'the delayed twin GET')).toMatchObject({ action: 'delay', operation: 'twin.get' });
    expect(answered).toBe(false);
    await hub.clock.advance(5_000);
    expect((await reading).properties.desired.interval).toBe(9);
    expect(await waitFor(() => requests.find((r) => r.fault === 'slow'), 10_000, 'the delayed GET answered')).toMatchObject({ operation: 'twin.get', status: 200 });
    hub.faults.clear('slow');
    await client.close();
  });

  it("azure-iothub's invokeDeviceMethod gets GatewayTimeoutError (504 GatewayTimeout) when a timeout fault keeps the call from the device, and the answer once it is cleared", async () => {
    const { connectionString } = hub.createDevice('sdk-timeout');
    const device = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await device.open();
    let calls = 0;
    device.onDeviceMethod('ping', (_request, response) => {
      calls += 1;
      response.send(200, { pong: true }, () => {});
    });
    await waitFor(() => (hub.subscriptions('sdk-timeout').includes(METHOD_REQUEST_FILTER) ? true : undefined), 10_000, 'the method subscription');
    hub.faults.add({ id: 'unreachable', operation: 'method.invoke', device: 'sdk-timeout', action: 'timeout' });
    const service = ServiceClient.fromConnectionString(hub.connectionString());
    const params = { methodName: 'ping', payload: null, responseTimeoutInSeconds: 30 };
    const timedOut = rejection(service.invokeDeviceMethod('sdk-timeout', params));
    await waitFor(() => applied.find((e) => e.faultId === 'unreachable'), 10_000, 'the held method call');
    await hub.clock.advance(30_000);
    const error = await timedOut;
    expect(error.constructor.name).toBe('GatewayTimeoutError');
    expect(error.response?.statusCode).toBe(504);
    expect(error.responseBody).toContain('504101');
    expect(calls).toBe(0);
    hub.faults.clear('unreachable');
    const { result } = await service.invokeDeviceMethod('sdk-timeout', params);
    expect(result).toMatchObject({ status: 200, payload: { pong: true } });
    expect(calls).toBe(1);
    await service.close();
    await device.close();
  });
});

describe("tier throttling seen by Microsoft's SDKs", () => {
  let hub: E2eHub;
  beforeAll(async () => {
    hub = await startE2eHub({ inMemory: true, dashboard: false, tier: { name: 'F1', units: 1 } });
  });
  afterAll(async () => {
    await hub.dispose();
  });

  it("F1: azure-iothub reads configurations up to the minute's quota of 20, then gets ThrottlingError", async () => {
    const registry = Registry.fromConnectionString(hub.connectionString());
    const outcomes: string[] = [];
    for (let i = 0; i < 22; i++) {
      outcomes.push(await registry.getConfigurations().then(() => 'ok', (error: Error) => error.constructor.name));
    }
    expect(outcomes.slice(0, 20)).toEqual(Array(20).fill('ok'));
    expect(outcomes.slice(20)).toEqual(['ThrottlingError', 'ThrottlingError']);
  });
});
