// A jest suite that embeds hubemu (docs/testing-with-hubemu.md). hubemu is ES modules: run jest with
// `node --experimental-vm-modules node_modules/jest/bin/jest.js` (see jest.config.mjs beside this file).
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { startHub } from '@hubemu/hub-emulator';
import { ServiceClient } from '@hubemu/backend';

/** The code under test: a back end that moves every device of a site to a new interval. */
async function setSiteInterval(service, site, interval) {
  const devices = await service.query.all(`SELECT deviceId FROM devices WHERE tags.site = '${site}'`);
  for (const { deviceId } of devices) await service.twins.patch(deviceId, { properties: { desired: { interval } } });
  return devices.length;
}

let hub;
let service;

beforeAll(async () => {
  hub = await startHub({
    inMemory: true,
    mqttPort: 0,
    httpsPort: 0, amqpPort: 0,
    dashboard: false,
    seed: { devices: [{ deviceId: 'north-{n}', count: 3, tags: { site: 'north' } }, { deviceId: 'south-1', tags: { site: 'south' } }] },
  });
  service = ServiceClient.fromConnectionString(hub.connectionString(), { ca: hub.caPem });
});
afterAll(async () => {
  service.close();
  await hub.stop();
});
beforeEach(() => hub.reset());

it('patches the twins of one site only', async () => {
  expect(await setSiteInterval(service, 'north', 10)).toBe(3);
  expect(hub.getTwin('north-2').properties.desired.interval).toBe(10);
  expect(hub.getTwin('south-1').properties.desired.interval).toBeUndefined();
  // One query and three PATCH calls crossed the REST plane.
  const patches = hub.traffic({ plane: 'http', operation: 'PATCH /twins/:deviceId' });
  expect(patches.map((r) => r.deviceId)).toEqual(['north-1', 'north-2', 'north-3']);
});

it('starts every test from the seed', () => {
  expect(hub.getTwin('north-2').properties.desired.interval).toBeUndefined();
});
