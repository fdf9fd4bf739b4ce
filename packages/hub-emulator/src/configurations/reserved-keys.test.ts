import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '@hubemu/shared';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';
import { parseConfigurationBody, parseTestQueriesBody, type StoredConfiguration } from './configuration-schemas.js';
import { deviceConfig, world } from './configuration-world.fixtures.js';

const RESERVED = ['__proto__', 'constructor', 'prototype'];
const own = (): string[][] => [Object.prototype, Array.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort());
const prototypesBefore = own();
afterEach(() => expect(own()).toEqual(prototypesBefore));

const parsed = (text: string): JsonObject => JSON.parse(text) as JsonObject;

describe('configurations and the reserved key names', () => {
  it('refuse a content key with __proto__, constructor or prototype as a segment, and leave every prototype alone', () => {
    const w = world();
    for (const key of RESERVED) {
      for (const content of [parsed(`{"properties.desired.${key}.polluted": true}`), parsed(`{"properties.desired.${key}": {"polluted": true}}`)]) {
        const error = hubErrorOf(() => w.service.put('cfg', deviceConfig(content, '*')));
        expect([error.status, error.errorCode]).toEqual([400, 'InvalidConfigurationContent']);
        expect(error.message).toContain(key);
      }
    }
    expect(w.service.list()).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuse a content value that holds a reserved key at any depth', () => {
    const w = world();
    for (const key of RESERVED) {
      const content = parsed(`{"properties.desired.app": {"a": {"${key}": {"polluted": true}}}}`);
      expect(hubErrorOf(() => w.service.put('cfg', deviceConfig(content, '*'))).errorCode).toBe('InvalidConfigurationContent');
    }
  });

  it('refuse reserved names as configuration id, label name and metric name with 400004, where zod alone would drop them silently', () => {
    const w = world();
    for (const key of RESERVED) {
      expect(hubErrorOf(() => w.service.put(key, deviceConfig({ 'properties.desired.a': 1 }, '*'))).code).toBe(400004);
      const labelled = { ...deviceConfig({ 'properties.desired.a': 1 }, '*'), labels: parsed(`{"${key}": "x"}`) };
      expect(hubErrorOf(() => w.service.put('cfg', parseConfigurationBody(labelled))).code).toBe(400004);
      const metrics = { ...deviceConfig({ 'properties.desired.a': 1 }, '*'), metrics: { queries: parsed(`{"${key}": "SELECT deviceId FROM devices"}`) } };
      expect(hubErrorOf(() => w.service.put('cfg', parseConfigurationBody(metrics))).code).toBe(400004);
      expect(hubErrorOf(() => w.service.testQueries(parseTestQueriesBody({ customMetricQueries: parsed(`{"${key}": "SELECT deviceId FROM devices"}`) }))).code).toBe(400004);
    }
  });

  it('apply the other configurations when a stored one holds a reserved key, without polluting anything', async () => {
    const w = world();
    w.device('a', { env: 'test' });
    w.service.put('good', deviceConfig({ 'properties.desired.firmware': '2.0' }, "tags.env = 'test'"));
    const good = w.store.collection<StoredConfiguration>('configurations').get('good') as StoredConfiguration;
    // As a store written before the rule would hold it: the content was never checked.
    w.store.collection<StoredConfiguration>('configurations').put('old', {
      ...good,
      id: 'old',
      sequence: good.sequence + 1,
      priority: 99,
      content: parsed('{"properties.desired.__proto__.polluted": true, "properties.desired.x": {"__proto__": {"status": "disabled"}}}'),
    });
    const service = w.restart();
    await service.evaluateNow();
    expect(w.desired('a')).toEqual({ firmware: '2.0' });
    expect(w.status('a', 'good')).toBe('Applied');
    expect(w.status('a', 'old')).toBeUndefined();
    expect(service.get('old').systemMetrics.results).toEqual({ targetedCount: 0, appliedCount: 0 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
