import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPolicy, signSasToken } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf, policyToken, type RawCall } from './http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0 });
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
