import { describe, expect, it } from 'vitest';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

// Its own cluster: the test stops the leader (a, which starts first).
const cluster = testCluster(['a', 'b'], { leaseMs: 600 });

describe('C2D expiry when the leader goes', () => {
  it('leaves an expired message to the leader, and the process that takes the lead over dead-letters it', async () => {
    const a = cluster.hub('a');
    const b = cluster.hub('b');
    await call(b, { method: 'PUT', path: '/devices/c-exp', body: { deviceId: 'c-exp' } });
    await a.settled();
    // Sent through the follower to an offline device: the leader, not b, will dead-letter it when it expires.
    b.c2d.send('c-exp', { body: 'late', expiryTimeUtc: new Date(Date.now() + 1_500) });
    await b.settled();
    await a.settled();
    expect(a.c2d.pending('c-exp')).toHaveLength(1);
    // The leader goes before the message expires: b takes the lead over and dead-letters it then.
    await a.stop();
    expect(b.c2d.pending('c-exp')).toHaveLength(1);
    await expect.poll(() => b.c2d.pending('c-exp'), { timeout: 10_000 }).toEqual([]);
    expect((await call(b, { method: 'GET', path: '/devices/c-exp' })).json).toMatchObject({ cloudToDeviceMessageCount: 0 });
  });
});
