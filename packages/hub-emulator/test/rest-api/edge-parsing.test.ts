import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError, type HubError } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf } from './http-helpers.js';

// A request is parsed once, at the edge it came in by, with the one parser of its kind: the REST route
// and the embedded API refuse a bad body with the same code and the same words.

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  hub.createDevice('edge-twin', { tags: { keep: 1 } });
});
afterAll(async () => {
  await hub.stop();
});

async function embeddedError(work: () => unknown): Promise<HubError> {
  try {
    await work();
  } catch (error) {
    if (isHubError(error)) return error;
    throw error;
  }
  throw new Error('expected a HubError');
}

describe('bodies parsed once at the edge', () => {
  it('refuses a malformed twin patch with the same error from PATCH /twins/{id} and hub.updateTwin', async () => {
    for (const body of ['text', [1], { tags: 'blue' }, { properties: { desired: 5 } }, { properties: { other: {} } }]) {
      const rest = await call(hub, { method: 'PATCH', path: '/twins/edge-twin', body: JSON.stringify(body) });
      const embedded = await embeddedError(() => hub.updateTwin('edge-twin', body as never));
      expect(rest.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(rest).name).toBe(embedded.errorCode);
      expect(errorOf(rest).message, JSON.stringify(body)).toBe(embedded.message);
    }
    expect(hub.getTwin('edge-twin').tags).toEqual({ keep: 1 });
  });

  it('refuses a malformed method request with the same error from POST /twins/{id}/methods and hub.invokeMethod', async () => {
    for (const body of ['text', [1], {}, { methodName: 'a b' }, { methodName: 'reboot', responseTimeoutInSeconds: 1 }]) {
      const rest = await call(hub, { method: 'POST', path: '/twins/edge-twin/methods', body: JSON.stringify(body) });
      const embedded = await embeddedError(() => hub.invokeMethod('edge-twin', body as never));
      expect(rest.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(rest).name).toBe(embedded.errorCode);
      expect(errorOf(rest).message, JSON.stringify(body)).toBe(embedded.message);
    }
  });

  it("refuses a method job's call by the direct-method rules, naming the field in the job request", async () => {
    const body = { type: 'scheduleDeviceMethod', queryCondition: '*', cloudToDeviceMethod: { methodName: 'a#b' } };
    const rest = await call(hub, { method: 'PUT', path: '/jobs/v2/edge-job', body: JSON.stringify(body) });
    expect(rest.status).toBe(400);
    expect(errorOf(rest).message).toMatch(/^Invalid job request: cloudToDeviceMethod\.methodName: .*MQTT wildcards/);
  });
});
