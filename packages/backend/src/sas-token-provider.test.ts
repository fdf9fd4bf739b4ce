import { describe, expect, it } from 'vitest';
import { parseSasToken, sasSignatureMatches } from '@hubemu/shared';
import { SasTokenProvider } from './sas-token-provider.js';

const key = Buffer.alloc(32, 3).toString('base64');

describe('SasTokenProvider', () => {
  it('signs a service token for the host with the policy name, valid for the lifetime asked', () => {
    let now = 1_700_000_000_000;
    const tokens = new SasTokenProvider({ hostName: 'localhost:8443', policyName: 'iothubowner', policyKey: key }, { now: () => now }, 600);
    const token = parseSasToken(tokens.current());
    expect(token).toMatchObject({ resourceUri: 'localhost:8443', keyName: 'iothubowner', expiry: 1_700_000_600 });
    expect(token && sasSignatureMatches(token, key)).toBe(true);
    now += 1000;
    expect(parseSasToken(tokens.current())?.expiry).toBe(1_700_000_600);
  });

  it('renews the token shortly before it expires', () => {
    let now = 1_700_000_000_000;
    const tokens = new SasTokenProvider({ hostName: 'h', policyName: 'p', policyKey: key }, { now: () => now }, 3600);
    const first = tokens.current();
    now += (3600 - 301) * 1000;
    expect(tokens.current()).toBe(first);
    now += 2000;
    expect(tokens.current()).not.toBe(first);
  });
});
