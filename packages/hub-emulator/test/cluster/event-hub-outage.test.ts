import { parseConnectionString, signSasToken } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { closed, connectRaw } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

// Its own cluster: the test kills its Redis.
const cluster = testCluster(['a'], { leaseMs: 600 });

describe('telemetry while the Redis a hub of several processes shares is away', () => {
  it('acknowledges nothing it could not store: MQTT closes the connection unacknowledged, HTTPS answers 503, and takes telemetry again once Redis is back', async () => {
    const hub = cluster.hub('a');
    const redis = cluster.redis();
    expect((await call(hub, { method: 'PUT', path: '/devices/out-1', body: { deviceId: 'out-1' } })).status).toBe(200);
    const device = await connectRaw(hub, 'out-1', { mqtt: { reconnectPeriod: 0 } });
    await redis.kill();
    const gone = closed(device.client);
    const published = device.client.publishAsync('devices/out-1/messages/events/', 'lost?', { qos: 1 }).then(
      () => 'acknowledged',
      () => 'not acknowledged',
    );
    await gone;
    expect(await Promise.race([published, gone.then(() => 'not acknowledged')])).toBe('not acknowledged');

    const key = parseConnectionString(hub.deviceConnectionString('out-1')).SharedAccessKey as string;
    const authorization = signSasToken(`${hub.hostName}/devices/out-1`, key, Math.floor(Date.now() / 1000) + 3600);
    const https = await call(hub, { method: 'POST', path: '/devices/out-1/messages/events', body: Buffer.from('lost too?'), authorization, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(https.status).toBe(503);

    await redis.start();
    await expect
      .poll(async () => (await call(hub, { method: 'POST', path: '/devices/out-1/messages/events', body: Buffer.from('kept'), authorization, headers: { 'Content-Type': 'application/octet-stream' } })).status, { timeout: 10_000 })
      .toBe(204);
    await expect.poll(() => hub.telemetry({ deviceId: 'out-1' }).map((m) => m.body.toString())).toContain('kept');
    expect(hub.telemetry({ deviceId: 'out-1' }).map((m) => m.body.toString())).not.toContain('lost?');
  });
});
