import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { BODY_LIMIT_BYTES } from '../../src/http/route-kit.js';
import { call, errorOf, type RawCall } from './http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  hub.createDevice('body-twin', { tags: { keep: 1 }, desired: { keep: 1 } });
});
afterAll(async () => {
  await hub.stop();
});

describe('request bodies', () => {
  it('refuses malformed JSON with 400 ArgumentInvalid and creates nothing', async () => {
    for (const body of ['{"deviceId": "x",', 'not json at all', '{"a":1}}']) {
      const res = await call(hub, { method: 'PUT', path: '/devices/malformed', body });
      expect(res.status).toBe(400);
      expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', header: 'ArgumentInvalid' });
    }
    expect((await call(hub, { method: 'GET', path: '/devices/malformed' })).status).toBe(404);
  });

  it('refuses wrong types in a device body with 400 and creates nothing', async () => {
    for (const body of [{ status: 5 }, { status: 'sleeping' }, { authentication: 'sas' }, [1, 2], 'text', 42, null]) {
      const res = await call(hub, { method: 'PUT', path: '/devices/wrong-types', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(res).name).toBe('ArgumentInvalid');
    }
    expect((await call(hub, { method: 'GET', path: '/devices/wrong-types' })).status).toBe(404);
  });

  it('refuses twin bodies of the wrong shape, or with unknown keys under properties, and changes nothing', async () => {
    const before = hub.getTwin('body-twin');
    const bodies = [
      { tags: 'blue' },
      { tags: [1] },
      { properties: [] },
      { properties: { desired: 'x' } },
      { properties: { desired: { a: 1 }, wanted: { b: 2 } } },
      null,
    ];
    for (const body of bodies) {
      for (const method of ['PATCH', 'PUT'] as const) {
        const res = await call(hub, { method, path: '/twins/body-twin', body: JSON.stringify(body) });
        expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(400);
        expect(errorOf(res).name).toBe('ArgumentInvalid');
      }
    }
    const empty = await call(hub, { method: 'PATCH', path: '/twins/body-twin' });
    expect(empty.status).toBe(400);
    expect(errorOf(empty).name).toBe('ArgumentNull');
    expect(hub.getTwin('body-twin')).toEqual(before);
  });

  it(`refuses a body over ${BODY_LIMIT_BYTES / 1024} KB with 413 MessageTooLarge and changes nothing`, async () => {
    const before = hub.getTwin('body-twin');
    const huge = JSON.stringify({ tags: { blob: 'x'.repeat(BODY_LIMIT_BYTES) } });
    const res = await call(hub, { method: 'PATCH', path: '/twins/body-twin', body: huge });
    expect(res.status).toBe(413);
    expect(errorOf(res)).toMatchObject({ name: 'MessageTooLarge', header: 'MessageTooLarge' });
    expect(hub.getTwin('body-twin')).toEqual(before);
    const bulk = await call(hub, { method: 'POST', path: '/devices', body: JSON.stringify([{ id: 'huge', importMode: 'create', statusReason: 'y'.repeat(BODY_LIMIT_BYTES) }]) });
    expect(bulk.status).toBe(413);
    expect((await call(hub, { method: 'GET', path: '/devices/huge' })).status).toBe(404);
  });

  it('refuses an empty If-Match header with 400', async () => {
    const res = await call(hub, { method: 'PATCH', path: '/twins/body-twin', headers: { 'If-Match': ' ' }, body: { tags: { a: 1 } } });
    expect(res.status).toBe(400);
  });

  it('reads JSON whatever the Content-Type says', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/plain-text', headers: { 'Content-Type': 'text/plain' }, body: '{"status":"disabled"}' });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('disabled');
  });

  it('refuses a path with a malformed %-escape with 400 ArgumentInvalid in envelope 1', async () => {
    const paths: Array<[RawCall['method'], string]> = [
      ['GET', '/twins/%ZZ'],
      ['GET', '/devices/%ZZ'],
      ['POST', '/twins/%ZZ/methods'],
      ['GET', '/devices/body-twin/modules/%E0%A4%A'],
    ];
    for (const [method, path] of paths) {
      const res = await call(hub, { method, path, ...(method === 'POST' ? { body: { methodName: 'm' } } : {}) });
      expect(res.status, path).toBe(400);
      expect(errorOf(res), path).toMatchObject({ name: 'ArgumentInvalid', header: 'ArgumentInvalid', message: 'The request path has a malformed %-escape.' });
    }
  });

  it('refuses a body in an encoding it cannot read with 400 ArgumentInvalid, not 500', async () => {
    const res = await call(hub, { method: 'PATCH', path: '/twins/body-twin', headers: { 'Content-Encoding': 'compress' }, body: { tags: { a: 1 } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).name).toBe('ArgumentInvalid');
  });

  it('counts nested arrays toward the twin depth limit and refuses pathological nesting with 400, changing nothing', async () => {
    const before = hub.getTwin('body-twin');
    const arrays = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
    const bodies = [
      `{"tags":{"a":${arrays(20)}}}`,
      `{"tags":{"a":${arrays(3000)}}}`,
      `{"properties":{"desired":{"a":${arrays(3000)}}}}`,
      `{"properties":{"desired":{"a":${arrays(100_000)}}}}`,
    ];
    for (const body of bodies) {
      for (const method of ['PATCH', 'PUT'] as const) {
        const res = await call(hub, { method, path: '/twins/body-twin', body });
        expect(res.status, `${method} ${body.slice(0, 40)}`).toBe(400);
        expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', message: expect.stringContaining('maximum depth of 10') });
      }
    }
    const ten = await call(hub, { method: 'PATCH', path: '/twins/body-twin', body: `{"tags":{"a":${arrays(10)}}}` });
    expect(ten.status).toBe(200);
    expect(ten.json.tags.a).toEqual(JSON.parse(arrays(10)));
    expect(hub.getTwin('body-twin').properties.desired).toEqual(before.properties.desired);
  });

  it('answers an unknown path with 404 NotFound in envelope 1', async () => {
    const res = await call(hub, { method: 'GET', path: '/nothing/here' });
    expect(res.status).toBe(404);
    expect(errorOf(res).name).toBe('NotFound');
  });
});
