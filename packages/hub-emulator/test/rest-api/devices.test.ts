import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { closed, connectRaw } from '../raw-device.js';
import { call, errorOf } from './http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

const EMPTY_SAS = { type: 'sas', symmetricKey: { primaryKey: '', secondaryKey: '' } };

describe('PUT /devices/{id}', () => {
  it('creates a device with generated 256-bit keys when the keys are empty, answering 200 JSON', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/gen-keys', body: { deviceId: 'gen-keys', authentication: EMPTY_SAS } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toMatchObject({ deviceId: 'gen-keys', status: 'enabled', connectionState: 'Disconnected', authentication: { type: 'sas' } });
    const { primaryKey, secondaryKey } = res.json.authentication.symmetricKey;
    expect(Buffer.from(primaryKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(secondaryKey, 'base64')).toHaveLength(32);
    expect(primaryKey).not.toBe(secondaryKey);
    expect(res.json.etag).toEqual(expect.any(String));
  });

  it('creates a device from an empty body, with every default', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/no-body' });
    expect(res.status).toBe(200);
    expect(res.json.authentication.symmetricKey.primaryKey).toEqual(expect.any(String));
  });

  it('keeps the keys a client supplies', async () => {
    const primaryKey = Buffer.alloc(32, 1).toString('base64');
    const secondaryKey = Buffer.alloc(32, 2).toString('base64');
    const res = await call(hub, { method: 'PUT', path: '/devices/own-keys', body: { authentication: { type: 'sas', symmetricKey: { primaryKey, secondaryKey } } } });
    expect(res.json.authentication.symmetricKey).toEqual({ primaryKey, secondaryKey });
  });

  it('answers 409 DeviceAlreadyExists when the id is taken, and leaves the device as it was', async () => {
    const first = await call(hub, { method: 'PUT', path: '/devices/dup', body: {} });
    const again = await call(hub, { method: 'PUT', path: '/devices/dup', body: { status: 'disabled' } });
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ name: 'DeviceAlreadyExists', header: 'DeviceAlreadyExists' });
    expect(again.json.ExceptionMessage).toMatch(/^Tracking ID:[0-9a-f]+-G:0-TimeStamp:\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);
    const now = await call(hub, { method: 'GET', path: '/devices/dup' });
    expect(now.json).toMatchObject({ status: 'enabled', etag: first.json.etag });
  });

  it('updates with If-Match "*" and with the current quoted etag, and refuses a stale etag with 412', async () => {
    const created = await call(hub, { method: 'PUT', path: '/devices/upd', body: {} });
    const disabled = await call(hub, { method: 'PUT', path: '/devices/upd', headers: { 'If-Match': '"*"' }, body: { deviceId: 'upd', status: 'disabled', statusReason: 'maintenance' } });
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ status: 'disabled', statusReason: 'maintenance' });
    expect(disabled.json.etag).not.toBe(created.json.etag);
    // Keys not mentioned are kept.
    expect(disabled.json.authentication.symmetricKey).toEqual(created.json.authentication.symmetricKey);

    const stale = await call(hub, { method: 'PUT', path: '/devices/upd', headers: { 'If-Match': `"${created.json.etag}"` }, body: { status: 'enabled' } });
    expect(stale.status).toBe(412);
    expect(errorOf(stale).name).toBe('PreconditionFailed');
    expect((await call(hub, { method: 'GET', path: '/devices/upd' })).json.status).toBe('disabled');

    const fresh = await call(hub, { method: 'PUT', path: '/devices/upd', headers: { 'If-Match': `"${disabled.json.etag}"` }, body: { status: 'enabled' } });
    expect(fresh.status).toBe(200);
    expect(fresh.json.status).toBe('enabled');
  });

  it('refuses an update whose body names another deviceId with 400, as create does, and changes nothing', async () => {
    const created = await call(hub, { method: 'PUT', path: '/devices/upd-mismatch', body: {} });
    const res = await call(hub, { method: 'PUT', path: '/devices/upd-mismatch', headers: { 'If-Match': '"*"' }, body: { deviceId: 'someone-else', status: 'disabled' } });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', message: expect.stringContaining("('someone-else') does not match the URL ('upd-mismatch')") });
    const after = await call(hub, { method: 'GET', path: '/devices/upd-mismatch' });
    expect(after.json).toMatchObject({ status: 'enabled', etag: created.json.etag });
    const createMismatch = await call(hub, { method: 'PUT', path: '/devices/create-mismatch', body: { deviceId: 'someone-else' } });
    expect(createMismatch.status).toBe(400);
  });

  it('disconnects the device and every module of it when the device is disabled, and no other identity', async () => {
    hub.createDevice('dis-parent');
    hub.createDevice('dis-other');
    hub.registry.putModule('dis-parent', 'mod-a', {});
    hub.registry.putModule('dis-parent', 'mod-b', {});
    hub.registry.putModule('dis-other', 'mod-a', {});
    const parent = await connectRaw(hub, 'dis-parent');
    const modA = await connectRaw(hub, 'dis-parent', { moduleId: 'mod-a' });
    const modB = await connectRaw(hub, 'dis-parent', { moduleId: 'mod-b' });
    const other = await connectRaw(hub, 'dis-other', { moduleId: 'mod-a' });
    try {
      const keys = ['dis-parent', 'dis-parent/mod-a', 'dis-parent/mod-b', 'dis-other/mod-a'];
      await expect.poll(() => keys.every((key) => hub.connectedDevices().includes(key))).toBe(true);
      const allClosed = Promise.all([closed(parent.client), closed(modA.client), closed(modB.client)]);
      const res = await call(hub, { method: 'PUT', path: '/devices/dis-parent', headers: { 'If-Match': '"*"' }, body: { status: 'disabled' } });
      expect(res.status).toBe(200);
      await allClosed;
      await expect.poll(() => hub.connectedDevices().filter((key) => key.startsWith('dis-'))).toEqual(['dis-other/mod-a']);
      expect(other.client.connected).toBe(true);
    } finally {
      await Promise.all([parent, modA, modB, other].map((device) => device.close()));
    }
  });

  it('answers 404 DeviceNotFound when updating a device that does not exist', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/ghost-upd', headers: { 'If-Match': '"*"' }, body: {} });
    expect(res.status).toBe(404);
    expect(errorOf(res)).toMatchObject({ name: 'DeviceNotFound', message: 'ghost-upd' });
  });

  it('refuses an invalid device id with 400 ArgumentInvalid', async () => {
    const res = await call(hub, { method: 'PUT', path: `/devices/${encodeURIComponent('bad id')}`, body: {} });
    expect(res.status).toBe(400);
    expect(errorOf(res).name).toBe('ArgumentInvalid');
  });

  it('accepts any api-version', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/any-version?api-version=2016-11-14', body: {} });
    expect(res.status).toBe(200);
  });
});

describe('GET and DELETE /devices/{id}', () => {
  it('reads a device and answers 404 DeviceNotFound for an unknown id', async () => {
    await call(hub, { method: 'PUT', path: '/devices/readme', body: {} });
    expect((await call(hub, { method: 'GET', path: '/devices/readme' })).json.deviceId).toBe('readme');
    const missing = await call(hub, { method: 'GET', path: '/devices/nobody' });
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).toMatchObject({ name: 'DeviceNotFound', header: 'DeviceNotFound' });
  });

  it('deletes with If-Match "*" (204), refuses a stale etag (412) and then answers 404', async () => {
    const created = await call(hub, { method: 'PUT', path: '/devices/del', body: {} });
    await call(hub, { method: 'PUT', path: '/devices/del', headers: { 'If-Match': '"*"' }, body: { status: 'disabled' } });
    const stale = await call(hub, { method: 'DELETE', path: '/devices/del', headers: { 'If-Match': `"${created.json.etag}"` } });
    expect(stale.status).toBe(412);
    expect((await call(hub, { method: 'GET', path: '/devices/del' })).status).toBe(200);
    const deleted = await call(hub, { method: 'DELETE', path: '/devices/del', headers: { 'If-Match': '"*"' } });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await call(hub, { method: 'GET', path: '/devices/del' })).status).toBe(404);
    expect((await call(hub, { method: 'DELETE', path: '/devices/del', headers: { 'If-Match': '"*"' } })).status).toBe(404);
  });
});

describe('GET /devices and /statistics/devices', () => {
  it('lists devices, honours top, and refuses a top outside 1..1000', async () => {
    const all = await call(hub, { method: 'GET', path: '/devices' });
    expect(all.status).toBe(200);
    expect(Array.isArray(all.json)).toBe(true);
    expect(all.json.length).toBeGreaterThan(3);
    expect(all.json.every((d: { moduleId?: string }) => d.moduleId === undefined)).toBe(true);
    expect((await call(hub, { method: 'GET', path: '/devices?top=2&api-version=2021-04-12' })).json).toHaveLength(2);
    for (const top of ['0', '1001', 'ten']) {
      const bad = await call(hub, { method: 'GET', path: `/devices?top=${top}` });
      expect(bad.status).toBe(400);
      expect(errorOf(bad).name).toBe('ArgumentInvalid');
    }
  });

  it('counts enabled and disabled devices', async () => {
    const local = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
    try {
      local.createDevice('a');
      local.createDevice('b', { status: 'disabled' });
      local.createDevice('c');
      const res = await call(local, { method: 'GET', path: '/statistics/devices' });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ totalDeviceCount: 3, enabledDeviceCount: 2, disabledDeviceCount: 1 });
    } finally {
      await local.stop();
    }
  });
});

describe('modules', () => {
  it('creates a module with 201, updates it with 200, lists, reads and deletes it', async () => {
    await call(hub, { method: 'PUT', path: '/devices/with-mods', body: {} });
    const created = await call(hub, { method: 'PUT', path: '/devices/with-mods/modules/m1', body: { moduleId: 'm1', deviceId: 'with-mods', authentication: EMPTY_SAS } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ deviceId: 'with-mods', moduleId: 'm1', connectionState: 'Disconnected' });
    expect(Buffer.from(created.json.authentication.symmetricKey.primaryKey, 'base64')).toHaveLength(32);

    const dup = await call(hub, { method: 'PUT', path: '/devices/with-mods/modules/m1', body: {} });
    expect(dup.status).toBe(409);
    expect(errorOf(dup).name).toBe('ModuleAlreadyExistsOnDevice');

    const updated = await call(hub, { method: 'PUT', path: '/devices/with-mods/modules/m1', headers: { 'If-Match': '"*"' }, body: { managedBy: 'edge' } });
    expect(updated.status).toBe(200);
    expect(updated.json.managedBy).toBe('edge');

    await call(hub, { method: 'PUT', path: '/devices/with-mods/modules/m2', body: {} });
    const list = await call(hub, { method: 'GET', path: '/devices/with-mods/modules' });
    expect(list.json.map((m: { moduleId: string }) => m.moduleId).sort()).toEqual(['m1', 'm2']);
    expect((await call(hub, { method: 'GET', path: '/devices/with-mods/modules/m1' })).json.managedBy).toBe('edge');

    const stale = await call(hub, { method: 'DELETE', path: '/devices/with-mods/modules/m1', headers: { 'If-Match': `"${created.json.etag}"` } });
    expect(stale.status).toBe(412);
    expect((await call(hub, { method: 'DELETE', path: '/devices/with-mods/modules/m1', headers: { 'If-Match': '"*"' } })).status).toBe(204);
    const gone = await call(hub, { method: 'GET', path: '/devices/with-mods/modules/m1' });
    expect(gone.status).toBe(404);
    expect(errorOf(gone).name).toBe('ModuleNotFound');
  });

  it('answers 404 DeviceNotFound for modules of an unknown device', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/no-such-device/modules/m', body: {} });
    expect(res.status).toBe(404);
    expect(errorOf(res).name).toBe('DeviceNotFound');
    expect((await call(hub, { method: 'GET', path: '/devices/no-such-device/modules' })).status).toBe(404);
  });

  it('deletes a device together with its modules', async () => {
    await call(hub, { method: 'PUT', path: '/devices/parent', body: {} });
    await call(hub, { method: 'PUT', path: '/devices/parent/modules/child', body: {} });
    await call(hub, { method: 'DELETE', path: '/devices/parent', headers: { 'If-Match': '"*"' } });
    await call(hub, { method: 'PUT', path: '/devices/parent', body: {} });
    expect((await call(hub, { method: 'GET', path: '/devices/parent/modules' })).json).toEqual([]);
  });
});

describe('POST /devices (bulk)', () => {
  it('applies every item and reports isSuccessful when all succeed', async () => {
    const res = await call(hub, {
      method: 'POST',
      path: '/devices',
      body: [
        { id: 'bulk-1', importMode: 'create', authentication: EMPTY_SAS },
        { id: 'bulk-2', importMode: 'create', status: 'disabled' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ isSuccessful: true, errors: [], warnings: [] });
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-2' })).json.status).toBe('disabled');
  });

  it('reports per-item errors with numeric codes while the other items take effect', async () => {
    const existing = await call(hub, { method: 'PUT', path: '/devices/bulk-existing', body: {} });
    await call(hub, { method: 'PUT', path: '/devices/bulk-existing', headers: { 'If-Match': '"*"' }, body: { statusReason: 'moved on' } });
    const res = await call(hub, {
      method: 'POST',
      path: '/devices',
      body: [
        { id: 'bulk-existing', importMode: 'create' },
        { id: 'bulk-new', importMode: 'createOrUpdate' },
        { id: 'bulk-missing', importMode: 'Update', status: 'disabled' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.isSuccessful).toBe(false);
    expect(res.json.errors).toEqual([
      { deviceId: 'bulk-existing', errorCode: 409001, errorStatus: expect.stringContaining('already registered') },
      { deviceId: 'bulk-missing', errorCode: 404001, errorStatus: 'bulk-missing' },
    ]);
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-new' })).status).toBe(200);

    const stale = await call(hub, { method: 'POST', path: '/devices', body: [{ id: 'bulk-existing', importMode: 'updateIfMatchETag', eTag: existing.json.etag, status: 'disabled' }] });
    expect(stale.json.errors).toEqual([{ deviceId: 'bulk-existing', errorCode: 412001, errorStatus: expect.stringContaining('PreconditionFailed') }]);
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-existing' })).json.status).toBe('enabled');
  });

  it('reports an item whose identity fields are wrong as its own 400004 error, ignores unknown fields, and applies the others', async () => {
    const res = await call(hub, {
      method: 'POST',
      path: '/devices',
      body: [
        { id: 'bulk-bad-status', importMode: 'create', status: 'sleeping' },
        { id: 'bulk-unknown-field', importMode: 'create', somethingElse: { nested: true }, status: 'disabled' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      isSuccessful: false,
      errors: [{ deviceId: 'bulk-bad-status', errorCode: 400004, errorStatus: expect.stringContaining('status') }],
      warnings: [],
    });
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-bad-status' })).status).toBe(404);
    const applied = await call(hub, { method: 'GET', path: '/devices/bulk-unknown-field' });
    expect(applied.json.status).toBe('disabled');
    expect(applied.json).not.toHaveProperty('somethingElse');
  });

  it('updates and deletes by etag, and deletes unconditionally', async () => {
    const a = await call(hub, { method: 'PUT', path: '/devices/bulk-a', body: {} });
    const b = await call(hub, { method: 'PUT', path: '/devices/bulk-b', body: {} });
    await call(hub, { method: 'PUT', path: '/devices/bulk-c', body: {} });
    const res = await call(hub, {
      method: 'POST',
      path: '/devices',
      body: [
        { id: 'bulk-a', importMode: 'UpdateIfMatchETag', etag: a.json.etag, status: 'disabled' },
        { id: 'bulk-b', importMode: 'DeleteIfMatchETag', eTag: b.json.etag },
        { id: 'bulk-c', importMode: 'Delete' },
        { id: 'bulk-d', importMode: 'deleteIfMatchETag' },
      ],
    });
    expect(res.json.errors).toEqual([{ deviceId: 'bulk-d', errorCode: 400005, errorStatus: expect.stringContaining('eTag') }]);
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-a' })).json.status).toBe('disabled');
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-b' })).status).toBe(404);
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-c' })).status).toBe(404);
  });

  it('refuses the whole request, applying nothing, when an item is malformed, repeated or the list is empty or too long', async () => {
    const bodies: unknown[] = [
      [],
      Array.from({ length: 101 }, (_, i) => ({ id: `many-${i}`, importMode: 'create' })),
      [{ id: 'ok-1', importMode: 'create' }, { id: 'ok-1', importMode: 'delete' }],
      [{ id: 'ok-2', importMode: 'create' }, { id: 'bad id', importMode: 'create' }],
      [{ id: 'ok-3', importMode: 'create' }, { id: 'x', importMode: 'explode' }],
      [{ id: 'ok-4', importMode: 'create' }, { id: 'x', importMode: 'create', moduleId: 'm' }],
      [{ id: 'ok-5', importMode: 'create' }, { id: 'x', importMode: 'updateTwin' }],
      { id: 'ok-6', importMode: 'create' },
    ];
    for (const body of bodies) {
      const res = await call(hub, { method: 'POST', path: '/devices', body });
      expect(res.status).toBe(400);
      expect(errorOf(res).name).toBe('ArgumentInvalid');
    }
    for (const id of ['many-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-5', 'ok-6']) {
      expect((await call(hub, { method: 'GET', path: `/devices/${id}` })).status).toBe(404);
    }
  });
});
