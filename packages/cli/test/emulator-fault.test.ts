import { describe, expect, it } from 'vitest';
import { cliTestHub } from './run-cli.js';

const cli = cliTestHub();
const { hubemu } = cli;

describe('hubemu emulator fault', { timeout: 60_000 }, () => {
  it('adds faults from flags or a JSON definition, lists them and clears one or all', async () => {
    const added = await hubemu(['emulator', 'fault', 'add', '--id', 'busy', '--operation', 'twin.get', '--device', 'sensor-*', '--action', 'fail', '--status', '503', '--count', '2']);
    expect(added.code).toBe(0);
    expect(added.json).toMatchObject({ id: 'busy', operation: 'twin.get', device: 'sensor-*', action: 'fail', status: 503, count: 2, applied: 0 });
    const json = await hubemu(['emulator', 'fault', 'add', '--definition', '{"operation":"twin.desired","action":"pause"}']);
    expect(json.json).toMatchObject({ id: expect.stringMatching(/^fault-/), action: 'pause' });
    expect(cli.hub.faults.list().map((f) => f.id)).toEqual(['busy', json.json.id]);
    const table = await hubemu(['emulator', 'fault', 'list', '-o', 'table']);
    expect(table.stdout).toContain('busy');
    expect((await hubemu(['emulator', 'fault', 'clear', 'busy'])).json).toEqual({ cleared: 1 });
    expect((await hubemu(['emulator', 'fault', 'clear'])).json).toEqual({ cleared: 1 });
    expect((await hubemu(['emulator', 'fault', 'list'])).json).toEqual([]);
  });

  it('refuses a bad definition before sending it, and reports the hub refusing a policy without every permission', async () => {
    const bad = await hubemu(['emulator', 'fault', 'add', '--operation', 'twin.get', '--action', 'delay']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("delayMs: a 'delay' fault needs delayMs");
    const refused = await hubemu(['emulator', 'fault', 'list'], 'service');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('IotHubUnauthorizedAccess');
  });
});
