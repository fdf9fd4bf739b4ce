import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { METHOD_REQUEST_FILTER, topics } from '@hubemu/shared';
import { connectRaw } from '../raw-device.js';
import { answerMethod, openDevice } from './device-helpers.js';
import { call, errorOf, type RawResponse } from './http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

function invoke(deviceId: string, body: unknown, moduleId?: string): Promise<RawResponse> {
  const path = moduleId === undefined ? `/twins/${deviceId}/methods` : `/twins/${deviceId}/modules/${moduleId}/methods`;
  return call(hub, { method: 'POST', path, body });
}

describe('POST /twins/{id}/methods', () => {
  it('returns 200 with the status and payload the device answered, whatever that status is', async () => {
    hub.createDevice('m-ok');
    const client = await openDevice(hub, 'm-ok');
    try {
      answerMethod(client, 'reboot', (payload) => ({ status: 201, payload: { echo: payload } }));
      answerMethod(client, 'fail', () => ({ status: 500, payload: { reason: 'disk' } }));
      const ok = await invoke('m-ok', { methodName: 'reboot', payload: { delay: 3 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 10 });
      expect(ok.status).toBe(200);
      expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(ok.json).toEqual({ status: 201, payload: { echo: { delay: 3 } } });
      const failed = await invoke('m-ok', { methodName: 'fail', responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 10 });
      expect(failed.status).toBe(200);
      expect(failed.json).toEqual({ status: 500, payload: { reason: 'disk' } });
    } finally {
      await client.close();
    }
  });

  it('waits up to connectTimeoutInSeconds for a device that connects after the call', async () => {
    hub.createDevice('m-late');
    const pending = invoke('m-late', { methodName: 'ping', responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 15 });
    const client = await openDevice(hub, 'm-late');
    try {
      answerMethod(client, 'ping', () => ({ status: 200, payload: 'pong' }));
      expect((await pending).json).toEqual({ status: 200, payload: 'pong' });
    } finally {
      await client.close();
    }
  });

  it('answers 404 with 404103 DeviceNotOnline, in both envelopes, when the device is offline', async () => {
    hub.createDevice('m-offline');
    const res = await invoke('m-offline', { methodName: 'reboot' });
    expect(res.status).toBe(404);
    expect(res.headers['iothub-errorcode']).toBe('DeviceNotOnline');
    expect(res.json).toMatchObject({ errorCode: 404103, trackingId: expect.any(String), message: expect.stringContaining('Timed out'), info: {}, timestampUtc: expect.any(String) });
    expect(errorOf(res)).toMatchObject({ name: 'DeviceNotOnline', message: res.json.message });
  });

  it('answers 404103 when the device is connected but not subscribed to methods', async () => {
    hub.createDevice('m-unsubscribed');
    const client = await openDevice(hub, 'm-unsubscribed');
    try {
      const res = await invoke('m-unsubscribed', { methodName: 'reboot' });
      expect(res.status).toBe(404);
      expect(res.json.errorCode).toBe(404103);
      expect(res.json.message).toContain('subscribe');
    } finally {
      await client.close();
    }
  });

  it('answers 504 with 504101 GatewayTimeout when the device does not answer in time', async () => {
    hub.createDevice('m-slow');
    const client = await openDevice(hub, 'm-slow');
    try {
      answerMethod(client, 'hang', () => 'never');
      const res = await invoke('m-slow', { methodName: 'hang', responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 10 });
      expect(res.status).toBe(504);
      expect(res.headers['iothub-errorcode']).toBe('GatewayTimeout');
      expect(res.json.errorCode).toBe(504101);
      expect(errorOf(res).name).toBe('GatewayTimeout');
    } finally {
      await client.close();
    }
  });

  it('answers 404 with 404001 DeviceNotFound for an unknown device', async () => {
    const res = await invoke('m-nobody', { methodName: 'reboot' });
    expect(res.status).toBe(404);
    expect(res.json.errorCode).toBe(404001);
    expect(errorOf(res).name).toBe('DeviceNotFound');
  });

  it('refuses a payload over 128 KB with 413 MessageTooLarge before contacting the device', async () => {
    hub.createDevice('m-big');
    const res = await invoke('m-big', { methodName: 'upload', payload: 'x'.repeat(130 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json.errorCode).toBe(413001);
  });

  it('refuses a bad method name or timeout with 400 ArgumentInvalid', async () => {
    hub.createDevice('m-bad');
    for (const body of [{ methodName: 'has space' }, { methodName: 'ok', responseTimeoutInSeconds: 1 }, { methodName: 'ok', connectTimeoutInSeconds: 301 }, { payload: 1 }, [1]]) {
      const res = await invoke('m-bad', body);
      expect(res.status).toBe(400);
      expect(errorOf(res).name).toBe('ArgumentInvalid');
    }
  });

  it('refuses a method name with the MQTT wildcards # or + with 400 ArgumentInvalid, sending the device nothing', async () => {
    hub.createDevice('m-wild');
    const device = await connectRaw(hub, 'm-wild', { subscribe: [METHOD_REQUEST_FILTER] });
    try {
      for (const methodName of ['a#b', '#', 'a+b', '+']) {
        const res = await invoke('m-wild', { methodName, responseTimeoutInSeconds: 5 });
        expect(res.status, methodName).toBe(400);
        expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', message: expect.stringContaining('wildcards # and +') });
      }
      // The next valid call is the first thing the device receives: the refused ones sent nothing.
      const ok = invoke('m-wild', { methodName: 'after', responseTimeoutInSeconds: 5 });
      await expect.poll(() => device.messages.length).toBe(1);
      const request = device.messages[0]?.topic ?? '';
      expect(request).toMatch(/^\$iothub\/methods\/POST\/after\/\?\$rid=/);
      device.client.publish(topics.methodResponse(200, decodeURIComponent(request.split('$rid=')[1] ?? '')), '{}');
      expect((await ok).status).toBe(200);
    } finally {
      await device.close();
    }
  });

  it('explains a bad method name in one piece that Node\'s split on ";" keeps whole', async () => {
    hub.createDevice('m-name');
    const res = await invoke('m-name', { methodName: 'a;b' });
    expect(res.status).toBe(400);
    expect(res.json.Message.split(';')).toHaveLength(2);
    expect(errorOf(res).message).toContain('semicolons');
    expect(errorOf(res).message).toContain('$()<>@,:');
  });

  it('refuses a payload nested more than 64 levels deep with 400, however deep, before contacting the device', async () => {
    hub.createDevice('m-deep');
    const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    for (const levels of [65, 3000, 100_000]) {
      const res = await invoke('m-deep', `{"methodName":"deep","payload":${nested(levels)}}`);
      expect(res.status, `${levels} levels`).toBe(400);
      expect(res.json.errorCode).toBe(400004);
      expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', message: expect.stringContaining('more than 64 levels deep') });
    }
    // 64 levels are a payload like any other: the device is offline, so that is the answer.
    const fine = await invoke('m-deep', `{"methodName":"deep","payload":${nested(64)}}`);
    expect(fine.json.errorCode).toBe(404103);
  });

  it("passes on a device's answer nested deeper than 64 levels as its text, and job rows and queries keep answering", async () => {
    hub.createDevice('m-deep-answer');
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const device = await connectRaw(hub, 'm-deep-answer', { subscribe: ['$iothub/methods/POST/#'] });
    device.client.on('message', (topic) => {
      const rid = /[?&]\$rid=([^&]*)/.exec(topic)?.[1];
      if (rid !== undefined && topic.startsWith('$iothub/methods/POST/')) device.client.publish(`$iothub/methods/res/200/?$rid=${rid}`, deep);
    });
    try {
      const direct = await invoke('m-deep-answer', { methodName: 'dump', responseTimeoutInSeconds: 10 });
      expect(direct.status).toBe(200);
      expect(direct.json).toEqual({ status: 200, payload: deep });

      const job = await call(hub, {
        method: 'PUT',
        path: '/jobs/v2/deep-answer',
        body: { type: 'scheduleDeviceMethod', cloudToDeviceMethod: { methodName: 'dump', responseTimeoutInSeconds: 10 }, queryCondition: "deviceId = 'm-deep-answer'" },
      });
      expect(job.status).toBe(200);
      expect((await hub.jobs.whenFinished('deep-answer')).status).toBe('completed');
      const rows = await call(hub, { method: 'POST', path: '/devices/query', body: { query: "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'deep-answer'" } });
      expect(rows.status).toBe(200);
      expect(rows.json[0].outcome.deviceMethodResponse).toEqual({ status: 200, payload: deep });
    } finally {
      await device.close();
    }
  });

  it('invokes a method on a module', async () => {
    hub.createDevice('m-host');
    hub.registry.putModule('m-host', 'filter', {});
    const client = await openDevice(hub, 'm-host', 'filter');
    try {
      answerMethod(client, 'status', () => ({ status: 200, payload: { module: 'filter' } }));
      const res = await invoke('m-host', { methodName: 'status', responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 10 }, 'filter');
      expect(res.json).toEqual({ status: 200, payload: { module: 'filter' } });
      const missing = await invoke('m-host', { methodName: 'status' }, 'nope');
      expect(missing.status).toBe(404);
      expect(errorOf(missing).name).toBe('ModuleNotFound');
    } finally {
      await client.close();
    }
  });
});
