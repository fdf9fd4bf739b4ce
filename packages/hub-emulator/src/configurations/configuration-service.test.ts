import { describe, expect, it } from 'vitest';
import { deviceConfig, world } from './configuration-world.fixtures.js';
import { parseConfigurationBody } from './configuration-schemas.js';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';

describe('applying a configuration', () => {
  it('sets its content on the targeted twins through the twin service, marks them Applied and counts them', async () => {
    const w = world();
    w.device('a', { env: 'test' });
    w.device('b', { env: 'test' });
    w.device('c', { env: 'prod' });
    w.service.put('fw', deviceConfig({ 'properties.desired.firmware': { version: '2.0' } }, "tags.env = 'test'"));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: { version: '2.0' } });
    expect(w.status('a', 'fw')).toBe('Applied');
    expect(w.desired('c')).toEqual({});
    expect(w.twin('c').configurations).toBeUndefined();
    expect(w.updates.filter((u) => u.source === 'configuration').map((u) => [u.deviceId, u.desired])).toEqual([
      ['a', { firmware: { version: '2.0' } }],
      ['b', { firmware: { version: '2.0' } }],
    ]);
    expect(w.service.get('fw').systemMetrics.results).toEqual({ targetedCount: 2, appliedCount: 2 });
  });

  it('does not rewrite twins that already hold what the configuration sets', async () => {
    const w = world();
    for (let i = 0; i < 300; i++) w.device(`d${i}`, { env: 'test' }, i % 2 === 0 ? { firmware: { version: '2.0' } } : undefined);
    w.service.put('fw', deviceConfig({ 'properties.desired.firmware.version': '2.0' }, "tags.env = 'test'"));
    await w.service.evaluateNow();
    expect(w.updates.filter((u) => u.source === 'configuration')).toHaveLength(150);
    await w.service.evaluateNow();
    await w.service.evaluateNow();
    expect(w.updates.filter((u) => u.source === 'configuration')).toHaveLength(150);
    expect(w.service.get('fw').systemMetrics.results).toEqual({ targetedCount: 300, appliedCount: 300 });
  });

  it('puts back a value someone changed on a targeted twin at the next evaluation', async () => {
    const w = world();
    w.device('a', { env: 'test' });
    w.service.put('fw', deviceConfig({ 'properties.desired.firmware': '2.0' }, '*'));
    await w.service.evaluateNow();
    w.tag('a', {});
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: '2.0' });
  });

  it('puts back, at the next pass, a property a service patch changed (the configuration owns it), and keeps the others', async () => {
    const w = world();
    w.device('a');
    w.service.put('fw', deviceConfig({ 'properties.desired.firmware': { version: '2.0' } }, '*'));
    await w.service.evaluateNow();
    w.patchDesired('a', { firmware: { version: '3.0' }, mine: 1 });
    expect(w.desired('a')).toEqual({ firmware: { version: '3.0' }, mine: 1 });
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: { version: '2.0' }, mine: 1 });
  });
});

describe('priority', () => {
  it('gives a property to the higher priority; the lower configuration is only Targeted', async () => {
    const w = world();
    w.device('a', { env: 'test', ring: 'early' });
    w.service.put('base', deviceConfig({ 'properties.desired.firmware': '1.0' }, "tags.env = 'test'", 1));
    w.service.put('early', deviceConfig({ 'properties.desired.firmware': '2.0-beta' }, "tags.ring = 'early'", 5));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: '2.0-beta' });
    expect(w.twin('a').configurations).toEqual({ base: { status: 'Targeted' }, early: { status: 'Applied' } });
    expect(w.service.get('base').systemMetrics.results).toEqual({ targetedCount: 1, appliedCount: 0 });
  });

  it('gives a whole value to the higher priority when two configurations set the same content key', async () => {
    const w = world();
    w.device('a');
    w.service.put('l', deviceConfig({ 'properties.desired.fw': { v: 1, url: 'a' } }, '*', 1));
    w.service.put('h', deviceConfig({ 'properties.desired.fw': { v: 2 } }, '*', 9));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 2 } });
    expect(w.twin('a').configurations).toEqual({ h: { status: 'Applied' }, l: { status: 'Targeted' } });
    expect(w.service.get('l').systemMetrics.results).toEqual({ targetedCount: 1, appliedCount: 0 });
    expect(w.service.get('h').systemMetrics.results).toEqual({ targetedCount: 1, appliedCount: 1 });
  });

  it('removes what the lower configuration set inside a content key a higher one takes over', async () => {
    const w = world();
    w.device('a');
    w.service.put('l', deviceConfig({ 'properties.desired.fw': { v: 1, url: 'a' } }, '*', 1));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 1, url: 'a' } });
    w.service.put('h', deviceConfig({ 'properties.desired.fw.v': 2 }, '*', 9));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 2 } });
    expect(w.status('a', 'l')).toBe('Targeted');

    // Priorities swap back and forth: each time the winner's value is on the twin, whole and alone.
    w.service.put('l', deviceConfig({ 'properties.desired.fw': { v: 1, url: 'a' } }, '*', 20), '*');
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 1, url: 'a' } });
    w.service.put('h', deviceConfig({ 'properties.desired.fw.v': 2 }, '*', 30), '*');
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 2 } });
    expect(w.twin('a').configurations).toEqual({ h: { status: 'Applied' }, l: { status: 'Targeted' } });
  });

  it('breaks a tie in favour of the most recently created configuration', async () => {
    const w = world();
    w.device('a');
    w.service.put('older', deviceConfig({ 'properties.desired.mode': 'old' }, '*', 3));
    w.service.put('newer', deviceConfig({ 'properties.desired.mode': 'new' }, '*', 3));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ mode: 'new' });
    expect(w.status('a', 'older')).toBe('Targeted');
  });

  it('applies both configurations when they set different properties', async () => {
    const w = world();
    w.device('a');
    w.service.put('fw', deviceConfig({ 'properties.desired.firmware': '2.0' }, '*', 1));
    w.service.put('telemetry', deviceConfig({ 'properties.desired.telemetry': { interval: 30 } }, '*', 9));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: '2.0', telemetry: { interval: 30 } });
    expect(w.twin('a').configurations).toEqual({ fw: { status: 'Applied' }, telemetry: { status: 'Applied' } });
  });

  it('moves a twin to the other configuration when a priority change makes it win', async () => {
    const w = world();
    w.device('a');
    w.service.put('one', deviceConfig({ 'properties.desired.mode': 'one' }, '*', 1));
    w.service.put('two', deviceConfig({ 'properties.desired.mode': 'two' }, '*', 2));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ mode: 'two' });
    w.service.put('one', deviceConfig({ 'properties.desired.mode': 'one' }, '*', 7), '*');
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ mode: 'one' });
    expect(w.twin('a').configurations).toEqual({ one: { status: 'Applied' }, two: { status: 'Targeted' } });
  });
});

describe('retargeting and deletion', () => {
  it('removes the settings of a configuration a twin no longer matches and applies the next one', async () => {
    const w = world();
    w.device('a', { env: 'test', site: 'x' });
    w.service.put('site', deviceConfig({ 'properties.desired.fw': '1.0' }, "tags.site = 'x'", 1));
    w.service.put('test', deviceConfig({ 'properties.desired.fw': '2.0', 'properties.desired.debug': true }, "tags.env = 'test'", 5));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: '2.0', debug: true });

    w.tag('a', { env: 'prod' });
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: '1.0' });
    expect(w.twin('a').configurations).toEqual({ site: { status: 'Applied' } });

    w.tag('a', { site: 'y' });
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({});
    expect(w.twin('a').configurations).toBeUndefined();
  });

  it('keeps desired properties no configuration set', async () => {
    const w = world();
    w.device('a', { env: 'test' }, { mine: 1 });
    w.service.put('cfg', deviceConfig({ 'properties.desired.theirs': 2 }, "tags.env = 'test'"));
    await w.service.evaluateNow();
    w.tag('a', { env: null });
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ mine: 1 });
  });

  it('on deletion gives twins the next configuration, or removes the settings', async () => {
    const w = world();
    w.device('a', { env: 'test' });
    w.device('b');
    w.service.put('base', deviceConfig({ 'properties.desired.fw': '1.0' }, "tags.env = 'test'", 1));
    w.service.put('all', deviceConfig({ 'properties.desired.fw': '2.0' }, '*', 5));
    await w.service.evaluateNow();
    w.service.delete('all');
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: '1.0' });
    expect(w.desired('b')).toEqual({});
    expect(w.twin('b').configurations).toBeUndefined();
    expect(hubErrorOf(() => w.service.get('all')).errorCode).toBe('ConfigurationNotFound');
  });
});

describe('metrics', () => {
  it('counts the rows each custom metric query returns at every evaluation', async () => {
    const w = world();
    w.device('a', { env: 'test' });
    w.device('b', { env: 'test' });
    w.service.put('fw', deviceConfig({ 'properties.desired.fw': '2.0' }, "tags.env = 'test'", 1, {
      applied: "SELECT deviceId FROM devices WHERE configurations.[[fw]].status = 'Applied'",
      grouped: 'SELECT tags.env, COUNT() AS n FROM devices GROUP BY tags.env',
    }));
    await w.service.evaluateNow();
    const metrics = w.service.get('fw').metrics;
    expect(metrics.results).toEqual({ applied: 2, grouped: 1 });
    expect(metrics.queries.applied).toContain('[[fw]]');
  });
});

describe('module configurations', () => {
  it('applies moduleContent to the module twins FROM devices.modules WHERE selects', async () => {
    const w = world();
    w.device('edge');
    w.module('edge', 'filter', { role: 'filter' });
    w.module('edge', 'other', { role: 'other' });
    w.service.put('filters', { content: { moduleContent: { 'properties.desired.threshold': 7 } }, targetCondition: "FROM devices.modules WHERE tags.role = 'filter'", priority: 1 });
    await w.service.evaluateNow();
    expect(w.desired('edge', 'filter')).toEqual({ threshold: 7 });
    expect(w.status('edge', 'filters', 'filter')).toBe('Applied');
    expect(w.desired('edge', 'other')).toEqual({});
    expect(w.desired('edge')).toEqual({});
    expect(w.service.get('filters').systemMetrics.results).toEqual({ targetedCount: 1, appliedCount: 1 });
  });
});

describe('configuration rules', () => {
  it('keeps the content immutable: a different content is CannotModifyImmutableConfigurationContent', () => {
    const w = world();
    const created = w.service.put('fw', deviceConfig({ 'properties.desired.fw': '1.0' }, '*'));
    expect(created.created).toBe(true);
    const error = hubErrorOf(() => w.service.put('fw', deviceConfig({ 'properties.desired.fw': '2.0' }, '*'), '*'));
    expect(error.errorCode).toBe('CannotModifyImmutableConfigurationContent');
    const updated = w.service.put('fw', parseConfigurationBody({ ...created.configuration, priority: 20, labels: { team: 'ops' } }), `"${created.configuration.etag}"`);
    expect(updated).toMatchObject({ created: false, configuration: { priority: 20, labels: { team: 'ops' }, content: { deviceContent: { 'properties.desired.fw': '1.0' } } } });
    expect(updated.configuration.etag).not.toBe(created.configuration.etag);
  });

  it('refuses a stale etag with PreconditionFailed, an existing id with ConfigurationAlreadyExists, an update of nothing with ConfigurationNotFound', () => {
    const w = world();
    const { configuration } = w.service.put('fw', deviceConfig({}, '*'));
    w.service.put('fw', parseConfigurationBody({ ...configuration, priority: 2 }), '*');
    expect(hubErrorOf(() => w.service.put('fw', parseConfigurationBody({ ...configuration, priority: 3 }), `"${configuration.etag}"`)).errorCode).toBe('PreconditionFailed');
    expect(hubErrorOf(() => w.service.put('fw', deviceConfig({}, '*'))).errorCode).toBe('ConfigurationAlreadyExists');
    expect(hubErrorOf(() => w.service.put('none', deviceConfig({}, '*'), '*')).errorCode).toBe('ConfigurationNotFound');
  });

  it('limits a hub to its maximum of configurations and a configuration to 5 custom metrics', () => {
    const w = world({ maxConfigurations: 2 });
    w.service.put('one', deviceConfig({}, '*'));
    w.service.put('two', deviceConfig({}, '*'));
    expect(hubErrorOf(() => w.service.put('three', deviceConfig({}, '*'))).errorCode).toBe('IotHubQuotaExceeded');
    const six: Record<string, string> = {};
    for (let i = 0; i < 6; i++) six[`m${i}`] = 'SELECT deviceId FROM devices';
    w.service.delete('two');
    expect(hubErrorOf(() => w.service.put('many', deviceConfig({}, '*', 1, six))).message).toMatch(/at most 5 custom metrics/);
  });

  it('refuses uppercase and forbidden characters in ids, edge deployments, and bad queries', () => {
    const w = world();
    expect(hubErrorOf(() => w.service.put('Firmware', deviceConfig({}, '*'))).message).toMatch(/lowercase/);
    expect(hubErrorOf(() => w.service.put('a|b', deviceConfig({}, '*'))).errorCode).toBe('ArgumentInvalid');
    expect(hubErrorOf(() => w.service.put('edge', { content: { modulesContent: { $edgeAgent: {} } }, targetCondition: '*' })).errorCode).toBe('InvalidConfigurationContent');
    expect(hubErrorOf(() => w.service.put('bad', deviceConfig({}, "tags.x = 'y"))).errorCode).toBe('InvalidConfigurationTargetCondition');
    expect(hubErrorOf(() => w.service.put('bad', deviceConfig({}, '*', 1, { m: 'SELECT FROM' }))).errorCode).toBe('InvalidConfigurationCustomMetricsQuery');
    expect(hubErrorOf(() => w.service.put('bad', deviceConfig({ 'tags.x': 1 }, '*'))).errorCode).toBe('InvalidConfigurationContent');
  });

  it('tests queries without creating anything', () => {
    const w = world();
    expect(w.service.testQueries({ targetCondition: "tags.env = 'test'", customMetricQueries: { ok: 'SELECT deviceId FROM devices' } })).toEqual({
      targetConditionError: '',
      customMetricQueryErrors: { ok: '' },
    });
    const bad = w.service.testQueries({ targetCondition: 'tags.env = ', customMetricQueries: { broken: 'SELECT deviceId FROM nowhere' } });
    expect(bad.targetConditionError).toMatch(/targetCondition/);
    expect(bad.customMetricQueryErrors.broken).toMatch(/broken/);
    expect(w.service.list()).toEqual([]);
  });

  it('lists configurations oldest first, up to top', () => {
    const w = world();
    for (const id of ['c', 'a', 'b']) w.service.put(id, deviceConfig({}, '*'));
    expect(w.service.list().map((c) => c.id)).toEqual(['c', 'a', 'b']);
    expect(w.service.list(2).map((c) => c.id)).toEqual(['c', 'a']);
  });
});

describe('content given as the whole properties.desired section', () => {
  it('applies a device configuration whose content key is properties.desired, and removes what it set when deleted', async () => {
    const w = world();
    w.device('a', { env: 'test' }, { keep: 1 });
    w.service.put('whole', deviceConfig({ 'properties.desired': { firmware: { version: '2.0' }, mode: 'eco' } }, "tags.env = 'test'"));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ keep: 1, firmware: { version: '2.0' }, mode: 'eco' });
    expect(w.status('a', 'whole')).toBe('Applied');
    w.service.delete('whole');
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ keep: 1 });
  });

  it('lets each property of the section compete with other configurations as its own content key', async () => {
    const w = world();
    w.device('a');
    w.service.put('low', deviceConfig({ 'properties.desired': { firmware: { version: '1.0', url: 'u' }, mode: 'eco' } }, '*', 1));
    w.service.put('high', deviceConfig({ 'properties.desired.firmware': { version: '2.0' } }, '*', 9));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: { version: '2.0' }, mode: 'eco' });
    expect(w.status('a', 'high')).toBe('Applied');
    expect(w.status('a', 'low')).toBe('Targeted');
  });

  it('applies a module configuration whose content key is properties.desired', async () => {
    const w = world();
    w.device('edge');
    w.module('edge', 'filter', { role: 'filter' });
    w.service.put('filters', { content: { moduleContent: { 'properties.desired': { threshold: 7 } } }, targetCondition: "FROM devices.modules WHERE tags.role = 'filter'", priority: 1 });
    await w.service.evaluateNow();
    expect(w.desired('edge', 'filter')).toEqual({ threshold: 7 });
    expect(w.status('edge', 'filters', 'filter')).toBe('Applied');
  });
});
