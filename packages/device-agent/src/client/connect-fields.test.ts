import { mqttUsername, parseSasToken, sasSignatureMatches } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { resolveClientConfig, splitHostPort } from './client-options.js';
import { buildConnectFields } from './connect-fields.js';

const KEY = Buffer.from('device-key-for-tests').toString('base64');
const NOW = Date.UTC(2024, 0, 1);

describe('CONNECT fields (as Microsoft Node SDK sends them)', () => {
  it('uses the device id as client id and the Node username with api-version and DeviceClientType', () => {
    const config = resolveClientConfig({ connectionString: `HostName=localhost;DeviceId=d1;SharedAccessKey=${KEY}` });
    const fields = buildConnectFields(config, NOW);
    expect(fields.clientId).toBe('d1');
    expect(fields.username).toMatch(/^localhost\/d1\/\?api-version=2021-04-12&DeviceClientType=hubemu-device-agent%2F0\.1\.0%20\(node%20/);
  });

  it('uses {deviceId}/{moduleId} for a module identity, in client id, username and sr', () => {
    const config = resolveClientConfig({ connectionString: `HostName=hub.local;DeviceId=d1;ModuleId=m1;SharedAccessKey=${KEY}` });
    const fields = buildConnectFields(config, NOW);
    expect(fields.clientId).toBe('d1/m1');
    expect(fields.username.startsWith('hub.local/d1/m1/?api-version=2021-04-12&')).toBe(true);
    expect(parseSasToken(fields.password)?.resourceUri).toBe('hub.local/devices/d1/modules/m1');
  });

  it('signs a SAS token for host/devices/{id} with the device key, valid for the token lifetime', () => {
    const config = resolveClientConfig({ hostName: 'localhost', deviceId: 'd1', sharedAccessKey: KEY, tokenLifetimeSeconds: 600 });
    const fields = buildConnectFields(config, NOW);
    const token = parseSasToken(fields.password);
    expect(token?.resourceUriRaw).toBe('localhost%2Fdevices%2Fd1');
    expect(token?.expiry).toBe(NOW / 1000 + 600);
    expect(token?.keyName).toBeUndefined();
    expect(token && sasSignatureMatches(token, KEY)).toBe(true);
    expect(fields.tokenExpiresAtMs).toBe(NOW + 600_000);
  });

  it('adds skn when signing with a shared access policy', () => {
    const config = resolveClientConfig({ hostName: 'localhost', deviceId: 'd1', sharedAccessKey: KEY, sharedAccessKeyName: 'device' });
    expect(parseSasToken(buildConnectFields(config, NOW).password)?.keyName).toBe('device');
  });

  it('keeps a HostName port in sr and username and connects to that port', () => {
    const config = resolveClientConfig({ connectionString: `HostName=localhost:18883;DeviceId=d1;SharedAccessKey=${KEY}` });
    const fields = buildConnectFields(config, NOW);
    expect(fields.url).toBe('mqtts://localhost:18883');
    expect(fields.username.startsWith('localhost:18883/d1/')).toBe(true);
    expect(parseSasToken(fields.password)?.resourceUri).toBe('localhost:18883/devices/d1');
  });

  it('lets hostName override the SAS and username host while host picks where to connect', () => {
    const config = resolveClientConfig({
      connectionString: `HostName=127.0.0.1;DeviceId=d1;SharedAccessKey=${KEY}`,
      hostName: 'myhub.azure-devices.net',
      host: '127.0.0.1',
      port: 1234,
    });
    const fields = buildConnectFields(config, NOW);
    expect(fields.url).toBe('mqtts://127.0.0.1:1234');
    expect(parseSasToken(fields.password)?.resourceUri).toBe('myhub.azure-devices.net/devices/d1');
  });

  it('builds the WebSocket URL on 443 at /$iothub/websocket', () => {
    const config = resolveClientConfig({ hostName: 'localhost', deviceId: 'd1', sharedAccessKey: KEY, transport: 'wss' });
    expect(buildConnectFields(config, NOW).url).toBe('wss://localhost:443/$iothub/websocket');
  });

  it('defaults plain mqtt to 1883 and mqtts to 8883', () => {
    expect(resolveClientConfig({ hostName: 'h', deviceId: 'd', sharedAccessKey: KEY, transport: 'mqtt' }).port).toBe(1883);
    expect(resolveClientConfig({ hostName: 'h', deviceId: 'd', sharedAccessKey: KEY }).port).toBe(8883);
  });

  it('sends a ready-made SAS token as it is and never renews it', () => {
    const config = resolveClientConfig({ hostName: 'h', deviceId: 'd', sharedAccessSignature: 'SharedAccessSignature sr=x&sig=y&se=1' });
    const fields = buildConnectFields(config, NOW);
    expect(fields.password).toBe('SharedAccessSignature sr=x&sig=y&se=1');
    expect(fields.tokenExpiresAtMs).toBeUndefined();
  });

  it('adds the model id after api-version', () => {
    expect(mqttUsername('h', 'd', 'ua', 'dtmi:com:example:Thermostat;1')).toBe(
      'h/d/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1&DeviceClientType=ua',
    );
  });
});

describe('client options', () => {
  it('rejects options without a credential or a device id', () => {
    expect(() => resolveClientConfig({ hostName: 'h', deviceId: 'd' })).toThrow(/credential/);
    expect(() => resolveClientConfig({ connectionString: `HostName=h;SharedAccessKey=${KEY}` })).toThrow(/device id/);
  });

  it('rejects options of the wrong shape with a readable message', () => {
    expect(() => resolveClientConfig({ hostName: 'h', deviceId: 'd', sharedAccessKey: KEY, port: 70000 })).toThrow(/port/);
  });

  it('splits host:port only when the port is numeric', () => {
    expect(splitHostPort('localhost:8883')).toEqual({ host: 'localhost', port: 8883 });
    expect(splitHostPort('localhost')).toEqual({ host: 'localhost', port: undefined });
  });
});
