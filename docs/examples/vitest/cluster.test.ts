// Two hub processes sharing one Redis, embedded in one test file (docs/scale-out.md): a device connected
// to one of them follows a desired property written through the other.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startHub, type Hub } from '@hubemu/hub-emulator';
// A throwaway Debian redis-server on a free port with its append-only file on, as the hub's own tests start one.
import { startRedisServer, type RedisServer } from '../../../packages/hub-emulator/test/redis-server.js';

let redis: RedisServer;
let a: Hub;
let b: Hub;

beforeAll(async () => {
  redis = await startRedisServer();
  const url = redis.url;
  a = await startHub({ redis: { url }, processId: 'a', mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  b = await startHub({ redis: { url }, processId: 'b', mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

it('delivers a desired property written through one process to a device connected to the other', async () => {
  b.createDevice('thermostat-1');
  await b.settled();
  await a.settled();

  const device = Client.fromConnectionString(a.deviceConnectionString('thermostat-1'), Mqtt);
  await device.setOptions({ ca: a.caPem });
  await device.open();
  const twin: Twin = await device.getTwin();
  const seen: number[] = [];
  twin.on('properties.desired', (desired: { interval?: number }) => {
    if (typeof desired.interval === 'number') seen.push(desired.interval);
  });

  b.updateTwin('thermostat-1', { properties: { desired: { interval: 15 } } });
  await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe(15);
  await device.close();
});
