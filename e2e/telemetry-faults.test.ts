import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, Message } from 'azure-iot-device';
import { Http } from 'azure-iot-device-http';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startE2eHub } from './hub-fixture.js';

// What Microsoft's device SDK does when the hub refuses its telemetry (fault operation `telemetry`).

type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;

describe("telemetry faults seen by Microsoft's device SDK", () => {
  let hub: E2eHub;

  beforeAll(async () => {
    hub = await startE2eHub({ inMemory: true, dashboard: false });
  });
  afterAll(async () => {
    await hub.dispose();
  });

  it('MQTT: a publish refused by closing the connection unacknowledged is sent again by sendEvent, and arrives once', async () => {
    const { connectionString } = hub.createDevice('sdk-tel-mqtt');
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    await client.open();
    hub.faults.add({ operation: 'telemetry', device: 'sdk-tel-mqtt', count: 1, action: 'fail', status: 429 });
    await client.sendEvent(new Message('retried'));
    expect(hub.telemetry({ deviceId: 'sdk-tel-mqtt' }).map((m) => m.body.toString())).toEqual(['retried']);
    await client.close();
  }, 60_000);

  it('HTTPS: a POST failed with 503 is retried by sendEvent and arrives once', async () => {
    const { connectionString } = hub.createDevice('sdk-tel-http');
    const client = DeviceClient.fromConnectionString(connectionString, Http);
    await client.open();
    hub.faults.add({ operation: 'telemetry', device: 'sdk-tel-http', count: 1, action: 'fail', status: 503 });
    await client.sendEvent(new Message('retried'));
    expect(hub.telemetry({ deviceId: 'sdk-tel-http' }).map((m) => m.body.toString())).toEqual(['retried']);
    await client.close();
  }, 60_000);
});
