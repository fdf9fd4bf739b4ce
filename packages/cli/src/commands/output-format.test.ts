import { describe, expect, it } from 'vitest';
import { renderTable } from './output-format.js';

describe('renderTable', () => {
  it('prints one row per item and one column per scalar field, leaving nested objects out', () => {
    const table = renderTable([
      { deviceId: 'a', status: 'enabled', statusReason: null, authentication: { type: 'sas' } },
      { deviceId: 'bb', status: 'disabled', statusReason: 'retired', authentication: { type: 'sas' } },
    ]);
    expect(table.split('\n')).toEqual(['DeviceId  Status    StatusReason', '--------  --------  ------------', 'a         enabled', 'bb        disabled  retired']);
  });

  it('leaves out a field that is an object in one row and null in another', () => {
    const table = renderTable([
      { id: 'firmware-2', labels: { rollout: 'wave-1' }, priority: 10 },
      { id: 'telemetry', labels: null, priority: 0 },
    ]);
    expect(table).not.toContain('Labels');
    expect(table).not.toContain('[object Object]');
    expect(table.split('\n')[0]).toBe('Id          Priority');
  });

  it('prints a single object as a one-row table and an empty list as nothing', () => {
    expect(renderTable({ jobId: 'j', status: 'queued' }).split('\n')).toEqual(['JobId  Status', '-----  ------', 'j      queued']);
    expect(renderTable([])).toBe('');
  });
});
