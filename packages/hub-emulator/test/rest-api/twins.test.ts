import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub, type TwinUpdatedEvent } from '../../src/index.js';
import { call, errorOf } from './http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

describe('GET /twins/{id}', () => {
  it('returns the service-side twin with etag, versions and $metadata', async () => {
    hub.createDevice('t-get', { tags: { site: 'oslo' }, desired: { interval: 30 } });
    const res = await call(hub, { method: 'GET', path: '/twins/t-get' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toMatchObject({
      deviceId: 't-get',
      etag: expect.any(String),
      deviceEtag: expect.any(String),
      status: 'enabled',
      tags: { site: 'oslo' },
      properties: { desired: { interval: 30, $version: 2, $metadata: expect.any(Object) }, reported: { $version: 1 } },
    });
  });

  it('answers 404 DeviceNotFound for an unknown device and ModuleNotFound for an unknown module', async () => {
    const device = await call(hub, { method: 'GET', path: '/twins/no-twin' });
    expect(device.status).toBe(404);
    expect(errorOf(device).name).toBe('DeviceNotFound');
    hub.createDevice('t-nomod');
    const module = await call(hub, { method: 'GET', path: '/twins/t-nomod/modules/none' });
    expect(module.status).toBe(404);
    expect(errorOf(module).name).toBe('ModuleNotFound');
  });
});

describe('PATCH /twins/{id}', () => {
  it('deep-merges tags and desired properties, deletes keys set to null and returns the whole twin', async () => {
    hub.createDevice('t-patch', { tags: { site: 'oslo', floor: 3 }, desired: { mode: 'eco', limits: { min: 1, max: 9 } } });
    const before = hub.getTwin('t-patch');
    const res = await call(hub, {
      method: 'PATCH',
      path: '/twins/t-patch',
      headers: { 'If-Match': `"${before.etag}"` },
      body: { tags: { floor: null, room: 'b12' }, properties: { desired: { limits: { max: 5 }, mode: null } } },
    });
    expect(res.status).toBe(200);
    expect(res.json.tags).toEqual({ site: 'oslo', room: 'b12' });
    expect(res.json.properties.desired).toMatchObject({ limits: { min: 1, max: 5 }, $version: before.properties.desired.$version as number + 1 });
    expect(res.json.properties.desired.mode).toBeUndefined();
    expect(res.json.etag).not.toBe(before.etag);
    expect(hub.getTwin('t-patch').etag).toBe(res.json.etag);
  });

  it('refuses a stale etag with 412 PreconditionFailed and changes nothing', async () => {
    hub.createDevice('t-stale', { desired: { a: 1 } });
    const old = hub.getTwin('t-stale');
    hub.updateTwin('t-stale', { properties: { desired: { a: 2 } } });
    const current = hub.getTwin('t-stale');
    const res = await call(hub, { method: 'PATCH', path: '/twins/t-stale', headers: { 'If-Match': `"${old.etag}"` }, body: { tags: { x: 1 }, properties: { desired: { a: 3 } } } });
    expect(res.status).toBe(412);
    expect(errorOf(res)).toMatchObject({ name: 'PreconditionFailed', header: 'PreconditionFailed' });
    expect(hub.getTwin('t-stale')).toEqual(current);
  });

  it('writes unconditionally with If-Match "*" or without If-Match', async () => {
    hub.createDevice('t-star');
    expect((await call(hub, { method: 'PATCH', path: '/twins/t-star', headers: { 'If-Match': '"*"' }, body: { tags: { a: 1 } } })).status).toBe(200);
    expect((await call(hub, { method: 'PATCH', path: '/twins/t-star', body: { tags: { b: 2 } } })).json.tags).toEqual({ a: 1, b: 2 });
  });

  it('refuses reported properties from the service side with 400', async () => {
    hub.createDevice('t-reported');
    const res = await call(hub, { method: 'PATCH', path: '/twins/t-reported', body: { properties: { reported: { hacked: true } } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).name).toBe('ArgumentInvalid');
    expect(hub.getTwin('t-reported').properties.reported.hacked).toBeUndefined();
  });

  it('refuses twin content that breaks the twin rules (a key with a dot) with 400 and changes nothing', async () => {
    hub.createDevice('t-rules', { tags: { ok: 1 } });
    const before = hub.getTwin('t-rules');
    const res = await call(hub, { method: 'PATCH', path: '/twins/t-rules', body: { tags: { ok: 2, 'bad.key': 1 } } });
    expect(res.status).toBe(400);
    expect(hub.getTwin('t-rules')).toEqual(before);
  });

  it('tells the twin plane about a desired change, so a connected device is notified', async () => {
    hub.createDevice('t-notify');
    const event = once(hub.events, 'twinUpdated') as Promise<[TwinUpdatedEvent]>;
    await call(hub, { method: 'PATCH', path: '/twins/t-notify', body: { properties: { desired: { fan: 'on' } } } });
    const [update] = await event;
    expect(update).toMatchObject({ deviceId: 't-notify', source: 'service', desired: { fan: 'on' }, desiredVersion: 2 });
  });
});

describe('PUT /twins/{id}', () => {
  it('replaces tags and desired properties and ignores read-only fields of a whole twin', async () => {
    hub.createDevice('t-put', { tags: { a: 1, b: 2 }, desired: { x: 1, y: 2 } });
    const twin = (await call(hub, { method: 'GET', path: '/twins/t-put' })).json;
    const body = { ...twin, tags: { c: 3 }, properties: { ...twin.properties, desired: { ...twin.properties.desired, z: 3, x: undefined, y: undefined } } };
    const res = await call(hub, { method: 'PUT', path: '/twins/t-put', headers: { 'If-Match': `"${twin.etag}"` }, body });
    expect(res.status).toBe(200);
    expect(res.json.tags).toEqual({ c: 3 });
    expect(res.json.properties.desired).toMatchObject({ z: 3, $version: 3 });
    expect(res.json.properties.desired.x).toBeUndefined();
    expect(res.json.properties.reported).toEqual(twin.properties.reported);
  });

  it('refuses a stale etag with 412 and keeps the twin', async () => {
    hub.createDevice('t-put-stale', { tags: { keep: true } });
    const before = hub.getTwin('t-put-stale');
    const res = await call(hub, { method: 'PUT', path: '/twins/t-put-stale', headers: { 'If-Match': '"AAAAAAAAAAA="' }, body: { tags: {} } });
    expect(res.status).toBe(412);
    expect(hub.getTwin('t-put-stale')).toEqual(before);
  });
});

describe('module twins', () => {
  it('reads, patches and replaces a module twin with etags', async () => {
    hub.createDevice('t-mod');
    hub.registry.putModule('t-mod', 'm1', {});
    const twin = await call(hub, { method: 'GET', path: '/twins/t-mod/modules/m1' });
    expect(twin.json).toMatchObject({ deviceId: 't-mod', moduleId: 'm1' });
    const patched = await call(hub, { method: 'PATCH', path: '/twins/t-mod/modules/m1', headers: { 'If-Match': `"${twin.json.etag}"` }, body: { properties: { desired: { level: 1 } } } });
    expect(patched.json.properties.desired.level).toBe(1);
    const stale = await call(hub, { method: 'PATCH', path: '/twins/t-mod/modules/m1', headers: { 'If-Match': `"${twin.json.etag}"` }, body: { properties: { desired: { level: 2 } } } });
    expect(stale.status).toBe(412);
    const replaced = await call(hub, { method: 'PUT', path: '/twins/t-mod/modules/m1', body: { tags: { role: 'filter' } } });
    expect(replaced.json.tags).toEqual({ role: 'filter' });
    expect(hub.getTwin('t-mod', 'm1').properties.desired.level).toBe(1);
    expect(hub.getTwin('t-mod').tags).toEqual({});
  });
});
