import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPolicy, signSasToken } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf, policyToken, type RawCall } from './http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  hub.createDevice('target');
});
afterAll(async () => {
  await hub.stop();
});

type Operation = 'registryRead' | 'registryWrite' | 'twinRead' | 'twinWrite' | 'methods';

/** One representative call per kind of operation (`n` makes create calls unique). */
const OPERATIONS: Record<Operation, Array<(n: string) => Omit<RawCall, 'policy'>>> = {
  registryRead: [
    () => ({ method: 'GET', path: '/devices' }),
    () => ({ method: 'GET', path: '/devices/target' }),
    () => ({ method: 'GET', path: '/devices/target/modules' }),
    () => ({ method: 'GET', path: '/statistics/devices' }),
  ],
  registryWrite: [
    (n) => ({ method: 'PUT', path: `/devices/new-${n}`, body: {} }),
    (n) => ({ method: 'POST', path: '/devices', body: [{ id: `bulk-${n}`, importMode: 'create' }] }),
    () => ({ method: 'DELETE', path: '/devices/never-there', headers: { 'If-Match': '"*"' } }),
  ],
  twinRead: [() => ({ method: 'GET', path: '/twins/target' })],
  twinWrite: [
    () => ({ method: 'PATCH', path: '/twins/target', body: { tags: { touched: true } } }),
    () => ({ method: 'PUT', path: '/twins/target', body: { tags: { touched: true } } }),
  ],
  methods: [() => ({ method: 'POST', path: '/twins/target/methods', body: { methodName: 'reboot' } })],
};

const MATRIX: Record<string, Operation[]> = {
  iothubowner: ['registryRead', 'registryWrite', 'twinRead', 'twinWrite', 'methods'],
  service: ['twinRead', 'twinWrite', 'methods'],
  registryRead: ['registryRead', 'twinRead'],
  registryReadWrite: ['registryRead', 'registryWrite', 'twinRead'],
  device: [],
};

describe('shared access policy permissions', () => {
  for (const [policy, allowed] of Object.entries(MATRIX)) {
    for (const operation of Object.keys(OPERATIONS) as Operation[]) {
      const grant = allowed.includes(operation);
      it(`${grant ? 'lets' : 'refuses'} the ${policy} policy ${grant ? 'do' : 'with 401 IotHubUnauthorizedAccess for'} ${operation} calls`, async () => {
        for (const [i, make] of OPERATIONS[operation].entries()) {
          const res = await call(hub, { ...make(`${policy}-${i}`), policy });
          if (grant) {
            expect(res.status, `${policy} ${operation} #${i}: ${res.text}`).not.toBe(401);
          } else {
            expect(res.status, `${policy} ${operation} #${i}`).toBe(401);
            expect(errorOf(res)).toMatchObject({ name: 'IotHubUnauthorizedAccess', header: 'IotHubUnauthorizedAccess' });
          }
        }
      });
    }
  }

  it('changes nothing when a write is refused', async () => {
    const before = hub.getTwin('target');
    await call(hub, { method: 'PATCH', path: '/twins/target', policy: 'registryReadWrite', body: { tags: { refused: true } } });
    await call(hub, { method: 'PUT', path: '/devices/refused-create', policy: 'service', body: {} });
    expect(hub.getTwin('target').tags).toEqual(before.tags);
    expect((await call(hub, { method: 'GET', path: '/devices/refused-create' })).status).toBe(404);
  });
});

describe('tokens', () => {
  const owner = () => findPolicy(hub.options.policies, 'iothubowner')!;
  const bad: Array<[string, () => string | undefined]> = [
    ['no Authorization header', () => undefined],
    ['a header that is not a SharedAccessSignature', () => 'Bearer abc.def.ghi'],
    ['a malformed SharedAccessSignature', () => 'SharedAccessSignature sr=localhost&sig=abc'],
    ['an expired token', () => policyToken(hub, 'iothubowner', { expiry: Math.floor(Date.now() / 1000) - 60 })],
    ['a token for another hub', () => policyToken(hub, 'iothubowner', { host: 'otherhub.azure-devices.net' })],
    ['a token signed with the wrong key', () => policyToken(hub, 'iothubowner', { key: Buffer.alloc(32, 7).toString('base64') })],
    ['a token naming an unknown policy', () => policyToken(hub, 'iothubowner', { keyName: 'nobody' })],
    ['a device token without a policy name', () => signSasToken(`localhost/devices/target`, owner().primaryKey, Math.floor(Date.now() / 1000) + 600)],
    ['a token whose signature was tampered with', () => policyToken(hub, 'iothubowner').replace(/sig=([^&])/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`)],
  ];
  for (const [what, token] of bad) {
    it(`refuses ${what} with 401 IotHubUnauthorized`, async () => {
      const value = token();
      const res = await call(hub, { method: 'GET', path: '/devices/target', ...(value === undefined ? { policy: null } : { authorization: value }) });
      expect(res.status).toBe(401);
      expect(errorOf(res)).toMatchObject({ name: 'IotHubUnauthorized', header: 'IotHubUnauthorized' });
    });
  }

  it('accepts a token whose sr is the host name without the port, and one signed with the secondary key', async () => {
    expect((await call(hub, { method: 'GET', path: '/devices/target', authorization: policyToken(hub, 'iothubowner', { host: 'localhost' }) })).status).toBe(200);
    expect((await call(hub, { method: 'GET', path: '/devices/target', authorization: policyToken(hub, 'iothubowner', { key: owner().secondaryKey }) })).status).toBe(200);
  });

  it('checks the token before reading the body', async () => {
    const res = await call(hub, { method: 'PUT', path: '/devices/x', policy: null, body: '{not json' });
    expect(res.status).toBe(401);
  });

  it('serves /health without a token', async () => {
    const res = await call(hub, { method: 'GET', path: '/health', policy: null });
    expect(res.status).toBe(200);
  });
});

describe('policy tokens scoped below the host', () => {
  const scoped = (scope: string, policy = 'iothubowner'): string => policyToken(hub, policy, { host: `${hub.hostName}:${hub.ports.https}/${scope}` });

  beforeAll(() => {
    hub.createDevice('d1');
    hub.createDevice('d10');
    hub.registry.putModule('d1', 'm1', {});
  });

  it('open the calls on the device they cover, its twin, its methods and its modules (twins/{id} is devices/{id})', async () => {
    const token = scoped('devices/d1');
    const allowed: Array<Omit<RawCall, 'authorization'>> = [
      { method: 'GET', path: '/devices/d1' },
      { method: 'PUT', path: '/devices/d1', headers: { 'If-Match': '"*"' }, body: { statusReason: 'scoped' } },
      { method: 'GET', path: '/twins/d1' },
      { method: 'PATCH', path: '/twins/d1', body: { tags: { scoped: true } } },
      { method: 'GET', path: '/devices/d1/modules' },
      { method: 'GET', path: '/devices/d1/modules/m1' },
      { method: 'GET', path: '/twins/d1/modules/m1' },
    ];
    for (const request of allowed) {
      const res = await call(hub, { ...request, authorization: token });
      expect(res.status, `${request.method} ${request.path}: ${res.text}`).toBe(200);
    }
    // The method call gets past authentication: the device is simply offline.
    const method = await call(hub, { method: 'POST', path: '/twins/d1/methods', body: { methodName: 'm' }, authorization: token });
    expect(method.json.errorCode).toBe(404103);
    expect(hub.getTwin('d1').tags).toEqual({ scoped: true });
  });

  it('let a token for host/devices reach any one device, and a module token only its module', async () => {
    for (const path of ['/twins/d1', '/twins/d10', '/devices/d1/modules/m1']) {
      expect((await call(hub, { method: 'GET', path, authorization: scoped('devices') })).status, path).toBe(200);
    }
    const moduleToken = scoped('devices/d1/modules/m1');
    expect((await call(hub, { method: 'GET', path: '/twins/d1/modules/m1', authorization: moduleToken })).status).toBe(200);
    for (const path of ['/twins/d1', '/devices/d1', '/devices/d1/modules']) {
      expect((await call(hub, { method: 'GET', path, authorization: moduleToken })).status, path).toBe(401);
    }
  });

  const refused: Array<[string, string, Omit<RawCall, 'authorization'>]> = [
    ['another device', 'devices/d1', { method: 'GET', path: '/twins/d10' }],
    ['a device whose id only starts with the scope', 'devices/d', { method: 'GET', path: '/devices/d1' }],
    ['a method on another device', 'devices/d1', { method: 'POST', path: '/twins/d10/methods', body: { methodName: 'm' } }],
    ['the device list', 'devices', { method: 'GET', path: '/devices' }],
    ['a bulk request', 'devices', { method: 'POST', path: '/devices', body: [{ id: 'scoped-bulk', importMode: 'create' }] }],
    ['a query, even on a device named query', 'devices/query', { method: 'POST', path: '/devices/query', body: { query: 'SELECT * FROM devices' } }],
    ['statistics', 'statistics', { method: 'GET', path: '/statistics/devices' }],
    ['jobs', 'jobs', { method: 'GET', path: '/jobs/v2/query' }],
    ['configurations', 'configurations', { method: 'GET', path: '/configurations' }],
    ['a hub-wide call under a device scope', 'devices/d1', { method: 'GET', path: '/configurations' }],
  ];
  for (const [what, scope, request] of refused) {
    it(`are refused with 401 IotHubUnauthorized for ${what} (sr=host/${scope})`, async () => {
      const res = await call(hub, { ...request, authorization: scoped(scope) });
      expect(res.status).toBe(401);
      expect(errorOf(res)).toMatchObject({ name: 'IotHubUnauthorized', message: expect.stringContaining('does not cover') });
    });
  }

  it('still need the permission: a registryRead token scoped to the device cannot patch its twin', async () => {
    const res = await call(hub, { method: 'PATCH', path: '/twins/d1', body: { tags: { no: true } }, authorization: scoped('devices/d1', 'registryRead') });
    expect(res.status).toBe(401);
    expect(errorOf(res).name).toBe('IotHubUnauthorizedAccess');
  });
});
