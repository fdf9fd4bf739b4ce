import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { WELL_KNOWN_POLICIES } from './policies.js';
import {
  buildConnectionString,
  deviceResourceUri,
  parseConnectionString,
  parseSasToken,
  sasScopeCovers,
  sasSignatureMatches,
  signSasToken,
  type SasToken,
} from './sas.js';

// Microsoft's Node SDKs (CommonJS), installed as dependencies of the e2e tests.
const require = createRequire(import.meta.url);
const common = require('azure-iot-common') as typeof import('azure-iot-common');
const deviceSas = require('azure-iot-device/dist/shared_access_signature.js') as typeof import('azure-iot-device/dist/shared_access_signature.js');
const serviceSas = require('azure-iothub/dist/shared_access_signature.js') as typeof import('azure-iothub/dist/shared_access_signature.js');
const { SharedAccessKeyAuthenticationProvider } = require('azure-iot-device/dist/sak_authentication_provider.js') as typeof import('azure-iot-device/dist/sak_authentication_provider.js');

const DEVICE_KEY = Buffer.from('hubemu-test-device-key-012345678').toString('base64');
const OTHER_KEY = Buffer.from('hubemu-test-other-key-987654321').toString('base64');
const OWNER = WELL_KNOWN_POLICIES.find((p) => p.name === 'iothubowner')!;
const SE = 1_900_000_000;

/** An independent signer: HMAC-SHA256 keyed with base64-decode(key) over `{sr as sent}\n{se}`. */
function sign(srAsSent: string, se: string | number, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64')).update(`${srAsSent}\n${se}`).digest('base64');
}

function parsed(text: string): SasToken {
  const token = parseSasToken(text);
  if (!token) throw new Error(`token did not parse: ${text}`);
  return token;
}

function verifies(text: string, key: string): boolean {
  const token = parseSasToken(text);
  return token !== undefined && sasSignatureMatches(token, key);
}

describe('signSasToken', () => {
  it('makes a device token that parses and verifies with the same key', () => {
    const text = signSasToken('localhost/devices/d1', DEVICE_KEY, SE);
    const token = parsed(text);
    expect(token).toEqual({
      resourceUriRaw: 'localhost%2Fdevices%2Fd1',
      resourceUri: 'localhost/devices/d1',
      signature: sign('localhost%2Fdevices%2Fd1', SE, DEVICE_KEY),
      expiry: SE,
    });
    expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
  });

  it('makes a policy token that carries skn and verifies with the policy key', () => {
    const token = parsed(signSasToken('localhost', OWNER.primaryKey, SE, 'iothubowner'));
    expect(token.keyName).toBe('iothubowner');
    expect(token.resourceUri).toBe('localhost');
    expect(sasSignatureMatches(token, OWNER.primaryKey)).toBe(true);
  });

  it('orders the fields sr, sig, skn, se as the Node SDKs do', () => {
    expect(signSasToken('localhost', OWNER.primaryKey, SE, 'iothubowner')).toMatch(/^SharedAccessSignature sr=localhost&sig=[^&]+&skn=iothubowner&se=1900000000$/);
    expect(signSasToken('localhost/devices/d1', DEVICE_KEY, SE)).toMatch(/^SharedAccessSignature sr=localhost%2Fdevices%2Fd1&sig=[^&]+&se=1900000000$/);
  });
});

describe('parseSasToken', () => {
  it('reads the fields in any order', () => {
    const sr = 'myhub.azure-devices.net%2Fdevices%2Fd1';
    const sig = encodeURIComponent(sign(sr, SE, DEVICE_KEY));
    for (const body of [
      `sr=${sr}&sig=${sig}&se=${SE}`,
      `se=${SE}&sr=${sr}&sig=${sig}`,
      `sig=${sig}&se=${SE}&sr=${sr}`,
      `sr=${sr}&sig=${sig}&skn=device&se=${SE}`,
      `skn=device&se=${SE}&sig=${sig}&sr=${sr}`,
    ]) {
      const token = parsed(`SharedAccessSignature ${body}`);
      expect(token.resourceUri).toBe('myhub.azure-devices.net/devices/d1');
      expect(token.expiry).toBe(SE);
      expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
    }
  });

  it('decodes skn', () => {
    expect(parsed(`SharedAccessSignature sr=h&sig=x&se=1&skn=my%20policy`).keyName).toBe('my policy');
  });

  it('accepts a signature that was not URL-encoded', () => {
    const sr = 'localhost%2Fdevices%2Fd1';
    expect(verifies(`SharedAccessSignature sr=${sr}&sig=${sign(sr, SE, DEVICE_KEY)}&se=${SE}`, DEVICE_KEY)).toBe(true);
  });

  it.each([
    ['without the SharedAccessSignature prefix', `sr=h&sig=x&se=1`],
    ['with a different scheme', `Bearer sr=h&sig=x&se=1`],
    ['without sr', `SharedAccessSignature sig=x&se=1`],
    ['without sig', `SharedAccessSignature sr=h&se=1`],
    ['without se', `SharedAccessSignature sr=h&sig=x`],
    ['with a non-numeric se', `SharedAccessSignature sr=h&sig=x&se=soon`],
    ['with a part that has no =', `SharedAccessSignature sr=h&sig=x&se=1&junk`],
    ['with sr that is not valid URL-encoding', `SharedAccessSignature sr=h%ZZ&sig=x&se=1`],
    ['that is empty', ''],
  ])('is undefined for a token %s', (_what, text) => {
    expect(parseSasToken(text)).toBeUndefined();
  });
});

describe('sasSignatureMatches', () => {
  it('fails for a different key and succeeds for either key of a primary/secondary pair it was made with', () => {
    const token = parsed(signSasToken('localhost', OWNER.secondaryKey, SE, 'iothubowner'));
    expect(sasSignatureMatches(token, OWNER.primaryKey)).toBe(false);
    expect(sasSignatureMatches(token, OWNER.secondaryKey)).toBe(true);
    expect(sasSignatureMatches(parsed(signSasToken('localhost/devices/d1', DEVICE_KEY, SE)), OTHER_KEY)).toBe(false);
  });

  it('fails when the expiry or the resource was changed after signing', () => {
    const text = signSasToken('localhost/devices/d1', DEVICE_KEY, SE);
    expect(verifies(text.replace(`se=${SE}`, `se=${SE + 1}`), DEVICE_KEY)).toBe(false);
    expect(verifies(text.replace('d1', 'd2'), DEVICE_KEY)).toBe(false);
  });

  it('fails for a signature of the wrong length without throwing', () => {
    expect(verifies(`SharedAccessSignature sr=localhost&sig=abc&se=${SE}`, DEVICE_KEY)).toBe(false);
  });

  it('verifies sr written with %2F and with %2f, computing the HMAC over sr exactly as sent', () => {
    for (const sr of ['localhost%2Fdevices%2Fd1', 'localhost%2fdevices%2fd1']) {
      const token = parsed(`SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(sr, SE, DEVICE_KEY))}&se=${SE}`);
      expect(token.resourceUriRaw).toBe(sr);
      expect(token.resourceUri).toBe('localhost/devices/d1');
      expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
    }
  });

  it('fails when sr is re-cased after signing, since the HMAC covers sr as sent', () => {
    const signedOver = 'localhost%2Fdevices%2Fd1';
    const sig = encodeURIComponent(sign(signedOver, SE, DEVICE_KEY));
    expect(verifies(`SharedAccessSignature sr=localhost%2fdevices%2fd1&sig=${sig}&se=${SE}`, DEVICE_KEY)).toBe(false);
  });

  it('verifies an sr that is not URL-encoded at all', () => {
    const sr = 'localhost/devices/d1';
    expect(verifies(`SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(sr, SE, DEVICE_KEY))}&se=${SE}`, DEVICE_KEY)).toBe(true);
  });
});

describe('sasScopeCovers', () => {
  it('covers the resource itself', () => {
    expect(sasScopeCovers('localhost/devices/d1', 'localhost/devices/d1')).toBe(true);
  });

  it('covers resources below it, by path segment', () => {
    expect(sasScopeCovers('localhost/devices', 'localhost/devices/d1')).toBe(true);
    expect(sasScopeCovers('localhost', 'localhost/devices/d1')).toBe(true);
    expect(sasScopeCovers('localhost/devices/d1', 'localhost/devices/d1/modules/m1')).toBe(true);
  });

  it('does not cover a resource that merely starts with the same characters', () => {
    expect(sasScopeCovers('localhost/devices/d', 'localhost/devices/d1')).toBe(false);
    expect(sasScopeCovers('local', 'localhost/devices/d1')).toBe(false);
  });

  it('does not cover a sibling or a parent', () => {
    expect(sasScopeCovers('localhost/devices/d1', 'localhost/devices/d2')).toBe(false);
    expect(sasScopeCovers('localhost/devices/d1', 'localhost/devices')).toBe(false);
    expect(sasScopeCovers('localhost/devices/d1/modules/m1', 'localhost/devices/d1')).toBe(false);
  });

  it('does not cover another host', () => {
    expect(sasScopeCovers('otherhost/devices/d1', 'localhost/devices/d1')).toBe(false);
    expect(sasScopeCovers('otherhost', 'localhost')).toBe(false);
  });

  it('matches hosts with and without a :port either way', () => {
    expect(sasScopeCovers('localhost:8883/devices/d1', 'localhost/devices/d1')).toBe(true);
    expect(sasScopeCovers('localhost/devices/d1', 'localhost:8883/devices/d1')).toBe(true);
    expect(sasScopeCovers('localhost:443', 'localhost:8883/devices/d1')).toBe(true);
  });

  it('compares case-insensitively and ignores a scheme and a trailing slash', () => {
    expect(sasScopeCovers('LocalHost/Devices/d1', 'localhost/devices/D1')).toBe(true);
    expect(sasScopeCovers('https://localhost/devices/', 'localhost/devices/d1')).toBe(true);
  });

  it('covers nothing when the token resource names no host', () => {
    for (const empty of ['', '/', '//', 'https://']) {
      expect(sasScopeCovers(empty, 'localhost/devices/d1')).toBe(false);
    }
  });

  it('lets an sr decoded from %2F or %2f cover the device resource', () => {
    for (const sr of ['localhost%2Fdevices%2Fd1', 'localhost%2fdevices%2fd1']) {
      const token = parsed(`SharedAccessSignature sr=${sr}&sig=x&se=${SE}`);
      expect(sasScopeCovers(token.resourceUri, deviceResourceUri('localhost', 'd1'))).toBe(true);
    }
  });
});

describe('deviceResourceUri', () => {
  it('names {host}/devices/{id} for a device and {host}/devices/{id}/modules/{mid} for a module', () => {
    expect(deviceResourceUri('localhost', 'd1')).toBe('localhost/devices/d1');
    expect(deviceResourceUri('localhost', 'd1', 'm1')).toBe('localhost/devices/d1/modules/m1');
  });
});

describe('connection strings', () => {
  it('keep a field named __proto__ or constructor as an ordinary field', () => {
    const fields = parseConnectionString('HostName=h;__proto__=x;constructor=y');
    expect(JSON.stringify(fields)).toBe('{"HostName":"h","__proto__":"x","constructor":"y"}');
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
  });

  it('parse keys whose base64 value contains =', () => {
    const text = `HostName=localhost;DeviceId=d1;SharedAccessKey=${DEVICE_KEY}`;
    expect(DEVICE_KEY.endsWith('=')).toBe(true);
    expect(parseConnectionString(text)).toEqual({ HostName: 'localhost', DeviceId: 'd1', SharedAccessKey: DEVICE_KEY });
  });

  it('parse a value with = in the middle and ignore empty segments', () => {
    expect(parseConnectionString('A=x=y==;;B=2;')).toEqual({ A: 'x=y==', B: '2' });
  });

  it('parse the well-known owner connection string', () => {
    const text = `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER.primaryKey}`;
    expect(parseConnectionString(text)).toEqual({ HostName: 'localhost', SharedAccessKeyName: 'iothubowner', SharedAccessKey: OWNER.primaryKey });
  });

  it('agree with the SDK\'s ConnectionString.parse', () => {
    const text = `HostName=localhost;DeviceId=d1;ModuleId=m1;SharedAccessKey=${DEVICE_KEY}`;
    const sdk = common.ConnectionString.parse(text, ['HostName', 'DeviceId', 'SharedAccessKey']);
    const ours = parseConnectionString(text);
    expect({ ...sdk }).toEqual(ours);
  });

  it('throw for a segment without a key or without =', () => {
    expect(() => parseConnectionString('HostName=localhost;garbage')).toThrow(/Malformed connection string segment/);
    expect(() => parseConnectionString('=value')).toThrow(/Malformed/);
  });

  it('build K=V;K=V and round-trip through the parser', () => {
    const fields = { HostName: 'localhost', DeviceId: 'd1', SharedAccessKey: DEVICE_KEY };
    const text = buildConnectionString(fields);
    expect(text).toBe(`HostName=localhost;DeviceId=d1;SharedAccessKey=${DEVICE_KEY}`);
    expect(parseConnectionString(text)).toEqual(fields);
  });
});

describe('compatibility with Microsoft\'s Node SDKs', () => {
  it('accepts a device token made by azure-iot-common SharedAccessSignature.create as the device SDK calls it', () => {
    const sr = common.encodeUriComponentStrict('localhost/devices/d1');
    const text = common.SharedAccessSignature.create(sr, undefined as unknown as string, DEVICE_KEY, SE).toString();
    const token = parsed(text);
    expect(token.resourceUriRaw).toBe('localhost%2Fdevices%2Fd1');
    expect(token.keyName).toBeUndefined();
    expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
    expect(sasSignatureMatches(token, OTHER_KEY)).toBe(false);
    expect(sasScopeCovers(token.resourceUri, deviceResourceUri('localhost', 'd1'))).toBe(true);
  });

  it('accepts a device token from azure-iot-device\'s SharedAccessSignature.create', () => {
    const text = deviceSas.create('localhost', 'd1', DEVICE_KEY, String(SE)).toString();
    const token = parsed(text);
    expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
    expect(sasScopeCovers(token.resourceUri, deviceResourceUri('localhost', 'd1'))).toBe(true);
  });

  it('accepts a policy token from azure-iothub\'s SharedAccessSignature.create (sr = host, skn = policy)', () => {
    const text = serviceSas.create('localhost', 'iothubowner', OWNER.primaryKey, String(SE)).toString();
    const token = parsed(text);
    expect(text).toMatch(/^SharedAccessSignature sr=localhost&sig=[^&]+&skn=iothubowner&se=1900000000$/);
    expect(token.keyName).toBe('iothubowner');
    expect(token.resourceUri).toBe('localhost');
    expect(sasSignatureMatches(token, OWNER.primaryKey)).toBe(true);
    expect(sasScopeCovers(token.resourceUri, 'localhost/devices/d1')).toBe(true);
  });

  it('accepts the exact password the device client sends, for a device and for a module', async () => {
    for (const [moduleId, suffix] of [[undefined, ''], ['m1', ';ModuleId=m1']] as const) {
      const provider = SharedAccessKeyAuthenticationProvider.fromConnectionString(`HostName=localhost:8883;DeviceId=d1${suffix};SharedAccessKey=${DEVICE_KEY}`);
      try {
        const credentials = await provider.getDeviceCredentials();
        const token = parsed(credentials.sharedAccessSignature as string);
        expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
        expect(sasScopeCovers(token.resourceUri, deviceResourceUri('localhost', 'd1', moduleId))).toBe(true);
      } finally {
        provider.stop();
      }
    }
  });

  it('produces byte-for-byte the token the SDK produces for the same inputs, including ids with ! \' ( ) *', () => {
    for (const deviceId of ['d1', "odd!'()*id", 'a%b+c=d@e;f$g#h?i,j:k.l']) {
      const resource = `localhost/devices/${deviceId}`;
      const sdk = common.SharedAccessSignature.create(common.encodeUriComponentStrict(resource), undefined as unknown as string, DEVICE_KEY, SE).toString();
      expect(signSasToken(resource, DEVICE_KEY, SE)).toBe(sdk);
    }
    const sdkPolicy = common.SharedAccessSignature.create('localhost', 'iothubowner', OWNER.primaryKey, SE).toString();
    expect(signSasToken('localhost', OWNER.primaryKey, SE, 'iothubowner')).toBe(sdkPolicy);
  });

  it('makes tokens the SDK parses and would have signed identically', () => {
    const text = signSasToken('localhost/devices/d1', DEVICE_KEY, SE, 'device');
    const sdk = common.SharedAccessSignature.parse(text, ['sr', 'sig', 'se']) as unknown as Record<string, string>;
    expect(sdk.sr).toBe('localhost%2Fdevices%2Fd1');
    expect(sdk.skn).toBe('device');
    expect(sdk.se).toBe(String(SE));
    const resigned = common.SharedAccessSignature.create(sdk.sr as string, sdk.skn as string, DEVICE_KEY, Number(sdk.se));
    expect(resigned.sig).toBe(sdk.sig);
  });

  it('verifies SDK tokens for device ids that need strict encoding', () => {
    const deviceId = "odd!'()*id";
    const text = deviceSas.create('localhost', deviceId, DEVICE_KEY, String(SE)).toString();
    const token = parsed(text);
    expect(token.resourceUri).toBe(`localhost/devices/${deviceId}`);
    expect(sasSignatureMatches(token, DEVICE_KEY)).toBe(true);
    expect(sasScopeCovers(token.resourceUri, deviceResourceUri('localhost', deviceId))).toBe(true);
  });
});
