import { describe, expect, it } from 'vitest';
import type { StoredConfiguration } from './configuration-schemas.js';
import { checkMetricQuery, systemMetricQueries, targetWhere } from './target-condition.js';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';

const stored = (over: Partial<StoredConfiguration>): StoredConfiguration => ({
  id: 'fw',
  schemaVersion: '1.0',
  labels: null,
  kind: 'device',
  content: {},
  targetCondition: "tags.env='test'",
  priority: 1,
  createdMs: 0,
  lastUpdatedMs: 0,
  sequence: 1,
  version: 1,
  metricQueries: {},
  ...over,
});

describe('configuration target conditions', () => {
  it('takes a device condition, * for every device, and nothing for an empty condition', () => {
    expect(targetWhere("tags.env='test'", 'device')).toBe("tags.env='test'");
    expect(targetWhere('*', 'device')).toBe('*');
    expect(targetWhere('  ', 'device')).toBeUndefined();
  });

  it("refuses a bad condition with InvalidConfigurationTargetCondition and the parser's message", () => {
    const error = hubErrorOf(() => targetWhere("tags.env = 'test", 'device'));
    expect(error?.errorCode).toBe('InvalidConfigurationTargetCondition');
    expect(error?.message).toMatch(/position \d+/);
  });

  it('takes FROM devices.modules WHERE ... for module configurations and refuses every module', () => {
    expect(targetWhere("FROM devices.modules WHERE tags.role = 'filter'", 'module')).toBe("tags.role = 'filter'");
    expect(hubErrorOf(() => targetWhere('from devices.modules where *', 'module'))?.errorCode).toBe('InvalidConfigurationTargetCondition');
    expect(hubErrorOf(() => targetWhere("tags.role = 'filter'", 'module'))?.errorCode).toBe('InvalidConfigurationTargetCondition');
    expect(hubErrorOf(() => targetWhere("from devices.modules where tags.x = 1", 'device'))?.errorCode).toBe('InvalidConfigurationTargetCondition');
  });

  it('refuses a bad custom metric query with InvalidConfigurationCustomMetricsQuery', () => {
    expect(() => checkMetricQuery('ok', "SELECT deviceId FROM devices WHERE properties.reported.fw = '2.0'")).not.toThrow();
    expect(hubErrorOf(() => checkMetricQuery('bad', 'SELECT deviceId FROM'))?.errorCode).toBe('InvalidConfigurationCustomMetricsQuery');
  });

  it('shapes the system metric queries as the service shows them', () => {
    expect(systemMetricQueries(stored({}))).toEqual({
      targetedCount: "select deviceId from devices where tags.env='test'",
      appliedCount: "select deviceId from devices where configurations.[[fw]].status = 'Applied'",
    });
    expect(systemMetricQueries(stored({ targetCondition: '*' })).targetedCount).toBe('select deviceId from devices');
    expect(systemMetricQueries(stored({ kind: 'module', targetCondition: "from devices.modules where tags.x = 1" }))).toEqual({
      targetedCount: 'select deviceId, moduleId from devices.modules where tags.x = 1',
      appliedCount: "select deviceId, moduleId from devices.modules where configurations.[[fw]].status = 'Applied'",
    });
  });
});
