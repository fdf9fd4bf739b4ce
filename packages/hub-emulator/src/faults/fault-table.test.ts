import { parseFaultDefinition, type FaultDefinitionInput } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { FaultTable, globPattern } from './fault-table.js';

const T0 = 1_700_000_000_000;
function tableWith(...faults: Array<FaultDefinitionInput & { id: string }>): FaultTable {
  const table = new FaultTable();
  for (const f of faults) table.add({ ...parseFaultDefinition(f), id: f.id }, T0);
  return table;
}
const twinGet = (deviceId: string) => ({ operation: 'twin.get' as const, deviceId });

describe('the fault table', () => {
  it('matches by operation and device pattern, the first added winning', () => {
    const table = tableWith(
      { id: 'a', operation: 'twin.get', device: 'sensor-*', action: 'drop' },
      { id: 'b', operation: 'twin.get', action: 'fail', status: 503 },
    );
    expect(table.match(twinGet('sensor-1'), T0)?.fault.id).toBe('a');
    expect(table.match(twinGet('pump-1'), T0)?.fault.id).toBe('b');
    expect(table.match({ operation: 'twin.patchReported', deviceId: 'sensor-1' }, T0)).toBeUndefined();
  });

  it('acts on the next N operations only, and counts how often it acted', () => {
    const table = tableWith({ id: 'n', operation: 'twin.get', count: 2, action: 'drop' });
    expect([1, 2, 3].map(() => table.match(twinGet('d'), T0)?.fault.id)).toEqual(['n', 'n', undefined]);
    expect(table.list()[0]?.applied).toBe(2);
  });

  it('acts only while its duration lasts, by the time it is given', () => {
    const table = tableWith({ id: 't', operation: 'twin.get', forMs: 1000, action: 'drop' });
    expect(table.match(twinGet('d'), T0 + 999)).toBeDefined();
    expect(table.match(twinGet('d'), T0 + 1000)).toBeUndefined();
  });

  it('acts on a share of operations, the same ones for the same seed', () => {
    const run = (): boolean[] => {
      const table = tableWith({ id: 's', operation: 'twin.get', share: 0.3, seed: 42, action: 'drop' });
      return Array.from({ length: 1000 }, () => table.match(twinGet('d'), T0) !== undefined);
    };
    const first = run();
    expect(run()).toEqual(first);
    const hits = first.filter(Boolean).length;
    expect(hits).toBeGreaterThan(250);
    expect(hits).toBeLessThan(350);
  });

  it('lets a disconnect fault pass N operations before it acts', () => {
    const table = tableWith({ id: 'x', operation: 'twin.patchReported', afterOperations: 2, count: 1, action: 'disconnect' });
    const op = { operation: 'twin.patchReported' as const, deviceId: 'd' };
    expect([1, 2, 3, 4].map(() => table.match(op, T0)?.action)).toEqual([undefined, undefined, 'disconnect', undefined]);
  });

  it('matches REST routes by pattern and keeps paused deliveries for whoever removes the fault, in order', () => {
    const table = tableWith({ id: 'r', operation: 'http', route: 'PATCH /twins/*', action: 'drop' }, { id: 'p', operation: 'twin.desired', action: 'pause' });
    expect(table.match({ operation: 'http', route: 'PATCH /twins/:deviceId', deviceId: 'd' }, T0)?.fault.id).toBe('r');
    expect(table.match({ operation: 'http', route: 'GET /twins/:deviceId', deviceId: 'd' }, T0)).toBeUndefined();
    const released: number[] = [];
    for (const n of [1, 2, 3]) table.match({ operation: 'twin.desired', deviceId: 'd' }, T0)?.hold(() => released.push(n));
    for (const release of table.remove('p') ?? []) release();
    expect(released).toEqual([1, 2, 3]);
    expect(table.remove('p')).toBeUndefined();
  });

  it('reads * in a pattern as any run of characters and everything else literally', () => {
    expect(globPattern('a.b*').test('a.b-c')).toBe(true);
    expect(globPattern('a.b*').test('axb')).toBe(false);
  });
});
