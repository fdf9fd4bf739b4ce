import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { JobClient, Registry } from 'azure-iothub';
import type { RequestEvent } from '@hubemu/hub-emulator';
import { rejection, startE2eHub, waitFor } from './hub-fixture.js';

/**
 * The test clock against Microsoft's SDKs: they sign their SAS tokens with the real clock (an hour
 * ahead), and the hub checks them against its own. Moving the hub's clock past a token's expiry
 * drops the device that connected with it and refuses the calls signed with it.
 */
type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;
let hub: E2eHub;

// A hub per test: each starts its clock at the real now, which is when the SDKs' tokens are signed.
beforeEach(async () => {
  hub = await startE2eHub({ inMemory: true, clock: 'manual' });
});
afterEach(async () => {
  await hub.dispose();
});

describe('the test clock with Microsoft SDKs', () => {
  it("refuses a service call whose SAS token expired by the hub's clock with 401 IotHubUnauthorized", async () => {
    hub.createDevice('clock-service');
    // The SDK signs by the real clock, for an hour.
    const registry = Registry.fromConnectionString(hub.connectionString());
    expect((await registry.get('clock-service')).responseBody.deviceId).toBe('clock-service');

    await hub.clock.advance('PT2H');
    const refused = await rejection(registry.get('clock-service'));
    expect(refused.response?.statusCode).toBe(401);
    expect(refused.responseBody).toContain('IotHubUnauthorized');
    expect(refused.responseBody).toContain('expired');
  });

  it("runs a job scheduled with Microsoft's JobClient when the clock reaches its startTime", async () => {
    hub.createDevice('clock-job', { tags: { shift: 'night' } });
    const jobs = JobClient.fromConnectionString(hub.connectionString());
    // Within the SDK's token hour, by the hub's clock.
    const startTime = new Date(hub.clock.now() + 30 * 60_000);
    await jobs.scheduleTwinUpdate('night-shift', "tags.shift = 'night'", { etag: '*', properties: { desired: { mode: 'eco' } } }, startTime);
    await hub.clock.advance('PT29M');
    expect(((await jobs.getJob('night-shift')).jobStatus as { status: string }).status).toBe('queued');
    await hub.clock.advance('PT1M');
    await hub.jobs.whenFinished('night-shift');
    const { jobStatus } = await jobs.getJob('night-shift');
    expect(jobStatus).toMatchObject({ status: 'completed', deviceJobStatistics: { deviceCount: 1, succeededCount: 1 } });
    expect(hub.getTwin('clock-job').properties.desired.mode).toBe('eco');
  });

  it("drops a device whose SAS token expires by the hub's clock, and refuses its token when it comes back", async () => {
    const { connectionString } = hub.createDevice('clock-device');
    const client = Client.fromConnectionString(connectionString, Mqtt);
    const connects: RequestEvent[] = [];
    hub.events.on('request', (event) => {
      // A refused CONNECT names no identity, only the client id in its message.
      if (event.operation === 'connect' && event.message?.startsWith('clock-device:')) connects.push(event);
    });
    try {
      await client.open();
      expect(hub.connectedDevices()).toContain('clock-device');
      await hub.clock.advance('PT59M');
      expect(hub.connectedDevices()).toContain('clock-device');

      // The SDK's token (an hour from the real now) expires two hours on by the hub's clock: the hub closes the connection.
      await hub.clock.advance('PT1H');
      await waitFor(() => (hub.connectedDevices().includes('clock-device') ? undefined : true), 10_000, 'the hub to drop the device');
      expect(hub.registry.getDevice('clock-device').connectionState).toBe('Disconnected');

      // A client that connects now signs with the real clock again: expired by the hub's, refused (CONNACK 5).
      const late = Client.fromConnectionString(connectionString, Mqtt);
      try {
        expect((await rejection(late.open())).message).toContain('Not authorized');
      } finally {
        await late.close();
      }
      expect(connects.at(-1)).toMatchObject({ status: 401, errorCode: 'IotHubUnauthorized', message: 'clock-device: The SharedAccessSignature has expired.' });
    } finally {
      await client.close();
    }
  });

});
