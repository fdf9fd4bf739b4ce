import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub, type TwinUpdatedEvent } from '../../src/index.js';
import { call, errorOf } from './http-helpers.js';

/** Whole twin sections from the service side: `null` clears a section, an empty `reported` is accepted and writes nothing. */
let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

describe('PATCH /twins/{id} with a whole section set to null', () => {
  it('clears every desired property with "desired": null, bumps $version and notifies the device with each removed key nulled', async () => {
    hub.createDevice('w-desired', { desired: { fan: 'on', limits: { max: 5 } } });
    const before = hub.getTwin('w-desired');
    const event = once(hub.events, 'twinUpdated') as Promise<[TwinUpdatedEvent]>;
    const res = await call(hub, { method: 'PATCH', path: '/twins/w-desired', body: { properties: { desired: null } } });
    expect(res.status).toBe(200);
    const [update] = await event;
    const version = (before.properties.desired.$version as number) + 1;
    expect(update).toMatchObject({ deviceId: 'w-desired', desired: { fan: null, limits: null }, desiredVersion: version });
    expect(res.json.properties.desired).toMatchObject({ $version: version });
    expect(Object.keys(res.json.properties.desired).filter((k) => !k.startsWith('$'))).toEqual([]);
    expect(hub.getTwin('w-desired').properties.desired.fan).toBeUndefined();
  });

  it('clears every tag with "tags": null and keeps the desired properties', async () => {
    hub.createDevice('w-tags', { tags: { site: 'oslo', floor: 3 }, desired: { keep: 1 } });
    const res = await call(hub, { method: 'PATCH', path: '/twins/w-tags', body: { tags: null } });
    expect(res.status).toBe(200);
    expect(res.json.tags ?? {}).toEqual({});
    expect(res.json.properties.desired.keep).toBe(1);
  });

  it('clears a module twin the same way', async () => {
    hub.createDevice('w-mod');
    hub.registry.putModule('w-mod', 'm1', {});
    await call(hub, { method: 'PATCH', path: '/twins/w-mod/modules/m1', body: { tags: { role: 'x' }, properties: { desired: { level: 1 } } } });
    const res = await call(hub, { method: 'PATCH', path: '/twins/w-mod/modules/m1', body: { tags: null, properties: { desired: null } } });
    expect(res.status).toBe(200);
    expect(res.json.tags ?? {}).toEqual({});
    expect(hub.getTwin('w-mod', 'm1').properties.desired.level).toBeUndefined();
  });
});

describe('service-side twin writes with an empty "reported"', () => {
  it('accepts a PATCH whose properties.reported is {} and writes the rest', async () => {
    hub.createDevice('w-rep-patch');
    const before = hub.getTwin('w-rep-patch');
    const res = await call(hub, { method: 'PATCH', path: '/twins/w-rep-patch', body: { tags: { a: 1 }, properties: { desired: {}, reported: {} } } });
    expect(res.status).toBe(200);
    expect(res.json.tags).toEqual({ a: 1 });
    expect(res.json.properties.reported).toEqual(before.properties.reported);
  });

  it('accepts a PUT whose properties.reported is {} and leaves the reported properties as they are', async () => {
    hub.createDevice('w-rep-put');
    const before = hub.getTwin('w-rep-put');
    const res = await call(hub, { method: 'PUT', path: '/twins/w-rep-put', body: { tags: { b: 2 }, properties: { reported: {} } } });
    expect(res.status).toBe(200);
    expect(res.json.properties.reported).toEqual(before.properties.reported);
  });

  it('still refuses a PATCH with reported values with 400 ArgumentInvalid and changes nothing', async () => {
    hub.createDevice('w-rep-bad', { tags: { keep: true } });
    const before = hub.getTwin('w-rep-bad');
    const res = await call(hub, { method: 'PATCH', path: '/twins/w-rep-bad', body: { tags: { keep: false }, properties: { reported: { x: 1 } } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).name).toBe('ArgumentInvalid');
    expect(hub.getTwin('w-rep-bad')).toEqual(before);
  });
});
