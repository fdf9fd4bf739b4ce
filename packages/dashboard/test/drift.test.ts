import { describe, expect, it } from 'vitest';
import { devicesQuery } from '../src/devices-query.js';
import { driftRows, withoutSystemKeys } from '../src/drift.js';

describe('drift between desired and reported', () => {
  const desired = {
    telemetryConfig: { sendFrequency: '10m', configId: '2' },
    mode: 'eco',
    $version: 3,
    $metadata: { telemetryConfig: { sendFrequency: { $lastUpdated: '2026-01-02T00:00:00Z' } }, mode: { $lastUpdated: '2026-01-01T00:00:00Z' } },
  };
  const reported = {
    telemetryConfig: { sendFrequency: '5m' },
    mode: 'eco',
    $version: 7,
    $metadata: { telemetryConfig: { sendFrequency: { $lastUpdated: '2026-01-01T12:00:00Z' } }, mode: { $lastUpdated: '2026-01-01T01:00:00Z' } },
  };

  it('lists every desired leaf with the reported value at the same path, and whether they agree', () => {
    expect(driftRows(desired, reported).map((r) => [r.path, r.state])).toEqual([
      ['telemetryConfig.sendFrequency', 'drift'],
      ['telemetryConfig.configId', 'not reported'],
      ['mode', 'in sync'],
    ]);
  });

  it('flags a report older than the desired value it should answer as stale, and never an agreeing one', () => {
    const rows = driftRows(desired, reported);
    expect(rows.find((r) => r.path === 'telemetryConfig.sendFrequency')?.stale).toBe(true);
    expect(rows.find((r) => r.path === 'mode')?.stale).toBe(false);
  });

  it('what the editor shows drops $metadata and $version and keeps the rest', () => {
    expect(withoutSystemKeys(desired)).toEqual({ telemetryConfig: { sendFrequency: '10m', configId: '2' }, mode: 'eco' });
  });
});

describe('the devices list query', () => {
  it('combines the id prefix, a tag and a condition, quoting strings the way the query language does', () => {
    expect(devicesQuery({ prefix: "o'neil", tag: 'location.region=US', condition: "status = 'enabled'" })).toBe(
      "SELECT * FROM devices WHERE STARTSWITH(deviceId, 'o''neil') AND tags.location.region = 'US' AND (status = 'enabled')",
    );
    expect(devicesQuery({ prefix: '', tag: 'floor=3', condition: '' })).toBe('SELECT * FROM devices WHERE tags.floor = 3');
    expect(devicesQuery({ prefix: '', tag: '', condition: '' })).toBe('SELECT * FROM devices');
  });
});
