import { describe, expect, it } from 'vitest';
import { cliTestHub } from './run-cli.js';

const cli = cliTestHub({ eventHub: { consumerGroups: ['Analytics'] } });
const { hubemu } = cli;

describe('hubemu hub consumer-group', { timeout: 60_000 }, () => {
  it('creates, lists, shows and deletes consumer groups on a running hub', async () => {
    const created = await hubemu(['hub', 'consumer-group', 'create', '--name', 'Workshop']);
    expect(created.code).toBe(0);
    expect(created.json).toEqual({ name: 'Workshop' });
    expect(cli.hub.consumerGroups.list()).toEqual(['$Default', 'Analytics', 'Workshop']);
    expect((await hubemu(['hub', 'consumer-group', 'list'])).json).toEqual([{ name: '$Default' }, { name: 'Analytics' }, { name: 'Workshop' }]);
    expect((await hubemu(['hub', 'consumer-group', 'list', '-o', 'table'])).stdout).toContain('Workshop');
    expect((await hubemu(['hub', 'consumer-group', 'show', '-n', 'workshop'])).json).toEqual({ name: 'Workshop' });
    const deleted = await hubemu(['hub', 'consumer-group', 'delete', '-n', 'workshop']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('');
    expect(cli.hub.consumerGroups.list()).toEqual(['$Default', 'Analytics']);
  });

  it("reports the hub's 409 for a group that exists, 404 for one that does not, and 401 for a policy without every permission", async () => {
    const exists = await hubemu(['hub', 'consumer-group', 'create', '--name', 'analytics']);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain('Conflict');
    const missing = await hubemu(['hub', 'consumer-group', 'delete', '--name', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('NotFound');
    const refused = await hubemu(['hub', 'consumer-group', 'list'], 'service');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('IotHubUnauthorizedAccess');
  });
});
