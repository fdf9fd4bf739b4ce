import { describe, expect, it } from 'vitest';
import {
  DeviceIdentityInputSchema,
  IDENTITY_ID_PATTERN,
  IdentityIdSchema,
  identityKey,
  isModuleKey,
  ModuleIdentityInputSchema,
  parseIdentityKey,
} from './identity.js';
import { parseDeviceIdentityBody, parseModuleIdentityBody } from './identity-body.js';

describe('device and module ids', () => {
  it('accept ASCII letters, digits and every documented special character', () => {
    for (const id of ['d1', 'Device-01', "a-b:c.d+e%f_g#h*i?j!k(l)m,n=o@p;q$r's", 'x', '0']) {
      expect(IdentityIdSchema.safeParse(id).success).toBe(true);
    }
  });

  it('are case-sensitive values that keep their case', () => {
    expect(IdentityIdSchema.parse('MyDevice')).toBe('MyDevice');
  });

  it('accept 128 characters and refuse 129, naming the limit', () => {
    expect(IdentityIdSchema.safeParse('a'.repeat(128)).success).toBe(true);
    const result = IdentityIdSchema.safeParse('a'.repeat(129));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toContain('An id is at most 128 characters.');
  });

  it('refuse the empty id', () => {
    expect(IdentityIdSchema.safeParse('').success).toBe(false);
  });

  it.each([' ', '"', '&', '/', '<', '>', '[', '\\', ']', '^', '`', '{', '|', '}', '~', 'é', '\u0000', '\t'])(
    'refuse an id containing %j',
    (char) => {
      const result = IdentityIdSchema.safeParse(`dev${char}ice`);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('may contain only ASCII letters, digits');
      expect(IDENTITY_ID_PATTERN.test(`dev${char}ice`)).toBe(false);
    },
  );

  it('refuse values that are not strings', () => {
    expect(IdentityIdSchema.safeParse(42).success).toBe(false);
    expect(IdentityIdSchema.safeParse(null).success).toBe(false);
  });
});

describe('identityKey', () => {
  it('is the device id for a device and {deviceId}/{moduleId} for a module', () => {
    expect(identityKey('d1')).toBe('d1');
    expect(identityKey('d1', 'm1')).toBe('d1/m1');
  });

  it('parses back to the identity it was built from, for devices and modules with any id characters', () => {
    for (const ref of [{ deviceId: 'd1' }, { deviceId: 'd1', moduleId: 'm1' }, { deviceId: "a?b#c:d;e'", moduleId: '$edgeAgent' }]) {
      const key = identityKey(ref.deviceId, ref.moduleId);
      expect(parseIdentityKey(key)).toEqual(ref);
      expect(isModuleKey(key)).toBe(ref.moduleId !== undefined);
    }
  });
});

describe('DeviceIdentityInputSchema', () => {
  it('accepts the Device JSON the Node service SDK sends, with null keys and thumbprints', () => {
    const body = {
      deviceId: 'd1',
      status: 'enabled',
      authentication: {
        type: 'sas',
        symmetricKey: { primaryKey: null, secondaryKey: null },
        x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
      },
      capabilities: { iotEdge: false },
      etag: null,
    };
    const result = DeviceIdentityInputSchema.safeParse(body);
    expect(result.success).toBe(true);
    expect(result.data).toEqual(body);
  });

  it('accepts an empty body, where every field is optional', () => {
    expect(DeviceIdentityInputSchema.parse({})).toEqual({});
  });

  it('drops read-only fields the client may echo back', () => {
    const parsed = DeviceIdentityInputSchema.parse({
      deviceId: 'd1',
      generationId: '637000000000000000',
      connectionState: 'Connected',
      lastActivityTime: '0001-01-01T00:00:00Z',
      cloudToDeviceMessageCount: 3,
    });
    expect(parsed).toEqual({ deviceId: 'd1' });
  });

  it('refuses a status other than enabled or disabled and an unknown authentication type', () => {
    expect(DeviceIdentityInputSchema.safeParse({ status: 'on' }).success).toBe(false);
    expect(DeviceIdentityInputSchema.safeParse({ authentication: { type: 'password' } }).success).toBe(false);
  });

  it('accepts every documented authentication type', () => {
    for (const type of ['sas', 'selfSigned', 'certificateAuthority', 'none']) {
      expect(DeviceIdentityInputSchema.safeParse({ authentication: { type } }).success).toBe(true);
    }
  });
});

describe('ModuleIdentityInputSchema', () => {
  it('accepts a module body with managedBy and keys', () => {
    const body = { deviceId: 'd1', moduleId: 'm1', managedBy: 'IotEdge', authentication: { type: 'sas', symmetricKey: { primaryKey: 'a2V5', secondaryKey: null } } };
    expect(ModuleIdentityInputSchema.parse(body)).toEqual(body);
  });
});

describe('parseDeviceIdentityBody and parseModuleIdentityBody (the one parser of identity bodies: REST, bulk items, seeds)', () => {
  it('takes an absent body as every default and refuses null, arrays and wrong types with 400004', () => {
    expect(parseDeviceIdentityBody('d1', undefined)).toEqual({});
    for (const body of [null, [1], 'text', { status: 'sleeping' }, { authentication: 'sas' }]) {
      expect(() => parseDeviceIdentityBody('d1', body), JSON.stringify(body)).toThrow(expect.objectContaining({ errorCode: 'ArgumentInvalid' }));
    }
  });

  it('refuses a body naming another identity than the URL', () => {
    expect(parseDeviceIdentityBody('d1', { deviceId: 'd1', status: 'disabled' })).toEqual({ deviceId: 'd1', status: 'disabled' });
    expect(() => parseDeviceIdentityBody('d1', { deviceId: 'd2' })).toThrow(/does not match the URL/);
    expect(parseModuleIdentityBody('m1', { moduleId: 'm1', managedBy: 'edge' })).toEqual({ moduleId: 'm1', managedBy: 'edge' });
    expect(() => parseModuleIdentityBody('m1', { moduleId: 'm2' })).toThrow(/does not match the URL/);
  });
});
