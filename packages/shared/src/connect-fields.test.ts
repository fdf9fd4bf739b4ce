import { describe, expect, it } from 'vitest';
import { mqttClientId, mqttUsername, parseConnectIdentity } from './connect-fields.js';
import type { HubError } from './errors.js';
import { hubErrorOf } from './hub-error.fixtures.js';

const HOST = 'myhub.azure-devices.net';

function refusal(clientId: string, username: string | undefined): HubError {
  return hubErrorOf(() => parseConnectIdentity(clientId, username, HOST));
}

describe('parseConnectIdentity', () => {
  it('accepts every username form the SDKs send', () => {
    for (const username of [
      `${HOST}/d1/?api-version=2021-04-12`,
      `${HOST}/d1/?api-version=2021-04-12&DeviceClientType=azure-iot-device%2F1.18`,
      `${HOST}/d1/api-version=2016-11-14`,
      `${HOST}/d1`,
      `${HOST}/d1/`,
      `${HOST}/d1?api-version=2021-04-12`,
      `${HOST.toUpperCase()}:8883/d1/?api-version=2021-04-12`,
    ]) {
      expect(parseConnectIdentity('d1', username, HOST), username).toEqual({ deviceId: 'd1' });
    }
  });

  it('reads a module identity and the model id', () => {
    expect(parseConnectIdentity('d1/m1', `${HOST}/d1/m1/?api-version=2021-04-12&model-id=dtmi:com:example:Thermostat;1`, HOST)).toEqual({
      deviceId: 'd1',
      moduleId: 'm1',
      modelId: 'dtmi:com:example:Thermostat;1',
    });
  });

  it('takes device ids that contain ? from the client id, not from where the query seems to start', () => {
    expect(parseConnectIdentity('a?b', `${HOST}/a?b/?api-version=2021-04-12`, HOST)).toEqual({ deviceId: 'a?b' });
    expect(parseConnectIdentity('a?b', `${HOST}/a?b`, HOST)).toEqual({ deviceId: 'a?b' });
  });

  it('refuses a username for another hub, another identity, or without one', () => {
    expect(refusal('d1', `other.azure-devices.net/d1/?api-version=2021-04-12`).message).toMatch(/host 'other.azure-devices.net' is not this hub/);
    expect(refusal('d1', `${HOST}/d2/?api-version=2021-04-12`).message).toMatch(/names 'd2' but the client id is 'd1'/);
    expect(refusal('d1', `${HOST}/d1x`).message).toMatch(/but the client id is 'd1'/);
    expect(refusal('d1', `${HOST}/d1/m1/?api-version=2021-04-12`).message).toMatch(/but the client id is 'd1'/);
    expect(refusal('d1', undefined).message).toMatch(/username is required/);
    expect(refusal('d1/m1/x', `${HOST}/d1/m1/x`).message).toMatch(/is not \{deviceId\}/);
    expect(refusal('d1', `${HOST}/d2`).errorCode).toBe('IotHubUnauthorized');
  });
});

describe('the CONNECT fields a device agent builds', () => {
  it('parse back to the identity and model id they were built from', () => {
    for (const ref of [{ deviceId: 'd1' }, { deviceId: 'd1', moduleId: 'm1' }, { deviceId: "a?b#c;d'", moduleId: '$edgeHub' }]) {
      for (const modelId of [undefined, 'dtmi:com:example:Thermostat;1']) {
        const clientId = mqttClientId(ref.deviceId, ref.moduleId);
        const username = mqttUsername(`${HOST}:8883`, clientId, 'agent/1.0 (node; linux)', modelId);
        expect(parseConnectIdentity(clientId, username, HOST)).toEqual(modelId === undefined ? ref : { ...ref, modelId });
      }
    }
  });
});
