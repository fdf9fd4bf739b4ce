import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf } from './http-helpers.js';

/** Parent and child devices: edge devices own a scope, leaf devices and nested edge devices point at one. */
let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

const putDevice = (deviceId: string, body: Record<string, unknown>, ifMatch?: string) =>
  call(hub, { method: 'PUT', path: `/devices/${deviceId}`, body, ...(ifMatch === undefined ? {} : { headers: { 'If-Match': ifMatch } }) });
const createEdge = async (deviceId: string, parentScopes?: string[]) => (await putDevice(deviceId, { capabilities: { iotEdge: true }, ...(parentScopes ? { parentScopes } : {}) })).json as { deviceScope: string; generationId: string; parentScopes?: string[] };

describe('edge device scopes', () => {
  it('gives a device created with capabilities.iotEdge the scope ms-azure-iot-edge://{deviceId}-{generationId}, on the identity and the twin', async () => {
    const res = await putDevice('gw-1', { capabilities: { iotEdge: true } });
    expect(res.status).toBe(200);
    expect(res.json.deviceScope).toBe(`ms-azure-iot-edge://gw-1-${res.json.generationId as string}`);
    expect(res.json.parentScopes).toBeUndefined();
    expect(hub.getTwin('gw-1').deviceScope).toBe(res.json.deviceScope);
  });

  it('puts a leaf device under an edge device through its deviceScope, and shows the parent in parentScopes', async () => {
    const gateway = await createEdge('gw-leafs');
    const res = await putDevice('leaf-1', { deviceScope: gateway.deviceScope });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ deviceScope: gateway.deviceScope, parentScopes: [gateway.deviceScope] });
    expect(hub.getTwin('leaf-1')).toMatchObject({ deviceScope: gateway.deviceScope, parentScopes: [gateway.deviceScope] });
  });

  it('moves a leaf to another edge device, keeps it through an update that copies the GET body, and clears it with an empty scope', async () => {
    const first = await createEdge('gw-a');
    const second = await createEdge('gw-b');
    await putDevice('leaf-move', { deviceScope: first.deviceScope });
    const moved = await putDevice('leaf-move', { deviceScope: second.deviceScope }, '*');
    expect(moved.json).toMatchObject({ deviceScope: second.deviceScope, parentScopes: [second.deviceScope] });
    const roundTrip = await putDevice('leaf-move', { ...moved.json, status: 'disabled' }, '*');
    expect(roundTrip.json).toMatchObject({ status: 'disabled', deviceScope: second.deviceScope, parentScopes: [second.deviceScope] });
    const cleared = await putDevice('leaf-move', { deviceScope: '' }, '*');
    expect(cleared.status).toBe(200);
    expect(cleared.json.deviceScope).toBeUndefined();
    expect(cleared.json.parentScopes).toBeUndefined();
  });

  it('refuses a leaf scope that is not an edge device scope with 400 ArgumentInvalid and keeps the device as it was', async () => {
    const gateway = await createEdge('gw-keep');
    await putDevice('plain', {});
    await putDevice('leaf-bad', { deviceScope: gateway.deviceScope });
    const before = (await call(hub, { method: 'GET', path: '/devices/leaf-bad' })).json;
    const plainGeneration = ((await call(hub, { method: 'GET', path: '/devices/plain' })).json as { generationId: string }).generationId;
    for (const scope of ['ms-azure-iot-edge://nobody-123', `ms-azure-iot-edge://plain-${plainGeneration}`, 'not a scope']) {
      const res = await putDevice('leaf-bad', { deviceScope: scope }, '*');
      expect(res.status).toBe(400);
      expect(errorOf(res).name).toBe('ArgumentInvalid');
    }
    expect((await call(hub, { method: 'GET', path: '/devices/leaf-bad' })).json).toEqual(before);
    const created = await putDevice('leaf-never', { deviceScope: 'ms-azure-iot-edge://nobody-123' });
    expect(created.status).toBe(400);
    expect((await call(hub, { method: 'GET', path: '/devices/leaf-never' })).status).toBe(404);
  });

  it('nests edge devices through parentScopes, and refuses a nesting that loops', async () => {
    const top = await createEdge('gw-top');
    const middle = await createEdge('gw-middle', [top.deviceScope]);
    expect(middle.deviceScope).toBe(`ms-azure-iot-edge://gw-middle-${middle.generationId}`);
    expect(middle.parentScopes).toEqual([top.deviceScope]);
    const bottom = await createEdge('gw-bottom', [middle.deviceScope]);
    expect(bottom.parentScopes).toEqual([middle.deviceScope]);
    const loop = await putDevice('gw-top', { capabilities: { iotEdge: true }, parentScopes: [bottom.deviceScope] }, '*');
    expect(loop.status).toBe(400);
    expect(errorOf(loop).name).toBe('ArgumentInvalid');
    const self = await putDevice('gw-top', { capabilities: { iotEdge: true }, parentScopes: [top.deviceScope] }, '*');
    expect(self.status).toBe(400);
    expect((await call(hub, { method: 'GET', path: '/devices/gw-top' })).json.parentScopes).toBeUndefined();
  });

  it('refuses more than one parent scope with 400 ArgumentInvalid', async () => {
    const a = await createEdge('gw-one');
    const b = await createEdge('gw-two');
    const res = await putDevice('gw-three', { capabilities: { iotEdge: true }, parentScopes: [a.deviceScope, b.deviceScope] });
    expect(res.status).toBe(400);
    expect(errorOf(res).name).toBe('ArgumentInvalid');
  });

  it('applies the same rules to bulk POST /devices: a leaf under an edge device, and an error entry for a scope that is not one', async () => {
    const gateway = await createEdge('gw-bulk');
    const res = await call(hub, {
      method: 'POST',
      path: '/devices',
      body: [
        { id: 'bulk-leaf', importMode: 'create', deviceScope: gateway.deviceScope },
        { id: 'bulk-bad', importMode: 'create', deviceScope: 'ms-azure-iot-edge://nobody-1' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ isSuccessful: false, errors: [{ deviceId: 'bulk-bad', errorCode: 400004 }] });
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-leaf' })).json).toMatchObject({ deviceScope: gateway.deviceScope, parentScopes: [gateway.deviceScope] });
    expect((await call(hub, { method: 'GET', path: '/devices/bulk-bad' })).status).toBe(404);
  });
});
