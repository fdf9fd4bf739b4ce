// A vitest suite that embeds hubemu (docs/testing-with-hubemu.md). The code under test is a thermostat
// written with Microsoft's device SDK; the hub is started once per file and reset between tests.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { Client, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startHub, type Hub } from '@hubemu/hub-emulator';

/** The code under test: reports its firmware, then follows the desired `interval`. */
async function startThermostat(connectionString: string, ca: string): Promise<{ client: Client; interval: () => number }> {
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca });
  await client.open();
  const twin: Twin = await client.getTwin();
  let interval = 60;
  twin.on('properties.desired', (desired: { interval?: number }) => {
    if (typeof desired.interval === 'number') interval = desired.interval;
  });
  await new Promise<void>((resolve, reject) => twin.properties.reported.update({ firmware: '1.2.0' }, (error?: Error) => (error ? reject(error) : resolve())));
  return { client, interval: () => interval };
}

let hub: Hub;

beforeAll(async () => {
  // Port 0: free ports, so test files run in parallel. The seed is what every test starts from.
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, seed: { devices: [{ deviceId: 'thermostat-1', desired: { interval: 30 } }] } });
});
afterAll(() => hub.stop());
beforeEach(() => hub.reset()); // back to the seed: connections closed, state emptied, in milliseconds

it('reports its firmware and follows the desired interval', async () => {
  const thermostat = await startThermostat(hub.deviceConnectionString('thermostat-1'), hub.caPem as string);
  try {
    await expect.poll(() => hub.getTwin('thermostat-1').properties.reported.firmware).toBe('1.2.0');
    await expect.poll(() => thermostat.interval()).toBe(30);
    hub.updateTwin('thermostat-1', { properties: { desired: { interval: 5 } } });
    await expect.poll(() => thermostat.interval()).toBe(5);

    // What crossed the wire: the reported patch as the device sent it, and the notification it was sent.
    const [reported] = hub.traffic({ deviceId: 'thermostat-1', operation: 'twin.patchReported' });
    expect(JSON.parse(reported?.payload ?? '')).toEqual({ firmware: '1.2.0' });
    expect(hub.traffic({ deviceId: 'thermostat-1', operation: 'twin.desiredNotification' })).toHaveLength(1);
  } finally {
    await thermostat.client.close();
  }
});

it('starts every test from the seed', () => {
  expect(hub.getTwin('thermostat-1').properties.reported.firmware).toBeUndefined();
  expect(hub.traffic()).toEqual([]);
});
