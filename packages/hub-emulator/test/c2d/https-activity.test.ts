import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimestamp, NEVER, parseConnectionString, signSasToken } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { call } from '../rest-api/http-helpers.js';
import { connectRaw } from '../raw-device.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, clock: 'manual' });
});
afterAll(async () => {
  await hub.stop();
});

function deviceToken(deviceId: string): string {
  const key = parseConnectionString(hub.deviceConnectionString(deviceId)).SharedAccessKey as string;
  return signSasToken(`${hub.hostName}/devices/${deviceId}`, key, Math.floor(Date.now() / 1000) + 86_400);
}

async function presenceOf(deviceId: string): Promise<{ identity: unknown; twin: unknown }> {
  const identity = (await call(hub, { method: 'GET', path: `/devices/${deviceId}` })).json;
  const twin = (await call(hub, { method: 'GET', path: `/twins/${deviceId}` })).json;
  return {
    identity: { connectionState: identity.connectionState, lastActivityTime: identity.lastActivityTime },
    twin: { connectionState: twin.connectionState, lastActivityTime: twin.lastActivityTime },
  };
}

describe('device HTTPS activity', () => {
  it('stamps the last activity time of every HTTPS device call, while the device stays Disconnected', async () => {
    hub.createDevice('act-1');
    expect((await presenceOf('act-1')).identity).toEqual({ connectionState: 'Disconnected', lastActivityTime: NEVER });
    await hub.clock.advance(5_000);
    const sentAt = formatTimestamp(hub.clock.now());
    expect((await call(hub, { method: 'POST', path: '/devices/act-1/messages/events', body: 'x', authorization: deviceToken('act-1') })).status).toBe(204);
    const afterSend = { connectionState: 'Disconnected', lastActivityTime: sentAt };
    expect(await presenceOf('act-1')).toEqual({ identity: afterSend, twin: afterSend });
    await hub.clock.advance(5_000);
    const polledAt = formatTimestamp(hub.clock.now());
    expect((await call(hub, { method: 'GET', path: '/devices/act-1/messages/devicebound', authorization: deviceToken('act-1') })).status).toBe(204);
    const afterPoll = { connectionState: 'Disconnected', lastActivityTime: polledAt };
    expect(await presenceOf('act-1')).toEqual({ identity: afterPoll, twin: afterPoll });
    const query = await call(hub, { method: 'POST', path: '/devices/query', body: { query: "SELECT lastActivityTime FROM devices WHERE deviceId = 'act-1'" } });
    expect(query.json).toEqual([{ lastActivityTime: polledAt }]);
  });

  it('does not stamp a call refused for its token, and leaves an MQTT connection Connected when the device also polls over HTTPS', async () => {
    hub.createDevice('act-2');
    hub.createDevice('act-other');
    await call(hub, { method: 'GET', path: '/devices/act-2/messages/devicebound', authorization: deviceToken('act-other') });
    expect((await presenceOf('act-2')).identity).toEqual({ connectionState: 'Disconnected', lastActivityTime: NEVER });
    const device = await connectRaw(hub, 'act-2');
    await hub.clock.advance(1_000);
    expect((await call(hub, { method: 'GET', path: '/devices/act-2/messages/devicebound', authorization: deviceToken('act-2') })).status).toBe(204);
    expect((await presenceOf('act-2')).identity).toEqual({ connectionState: 'Connected', lastActivityTime: formatTimestamp(hub.clock.now()) });
    await device.close();
  });
});
