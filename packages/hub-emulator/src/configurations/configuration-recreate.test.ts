import { describe, expect, it } from 'vitest';
import type { TwinUpdatedEvent } from '../events.js';
import { MemoryStore } from '../store/memory-store.js';
import { ConfigurationRepository } from './configuration-repository.js';
import type { StoredConfiguration, TwinLedger } from './configuration-schemas.js';
import { deviceConfig, world } from './configuration-world.fixtures.js';

// Content is immutable, so deleting a configuration and creating it again with the same id is how its content changes.
const oldContent = { 'properties.desired.fw': { v: 1, url: 'a' }, 'properties.desired.debug': true };
const newContent = { 'properties.desired.fw': { v: 2 }, 'properties.desired.mode': 'eco' };

describe('a configuration deleted and created again with the same id', () => {
  it('replaces its old content on the twins when no pass ran in between', async () => {
    const w = world();
    w.device('a');
    w.service.put('x', deviceConfig(oldContent, '*'));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 1, url: 'a' }, debug: true });

    w.service.delete('x');
    w.service.put('x', deviceConfig(newContent, '*'));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 2 }, mode: 'eco' });
    expect(w.status('a', 'x')).toBe('Applied');
    expect(w.service.get('x').systemMetrics.results).toEqual({ targetedCount: 1, appliedCount: 1 });
  });

  it('replaces its old content when a pass ran between the deletion and the creation', async () => {
    const w = world();
    w.device('a');
    w.service.put('x', deviceConfig(oldContent, '*'));
    await w.service.evaluateNow();
    w.service.delete('x');
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({});

    w.service.put('x', deviceConfig(newContent, '*'));
    await w.service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 2 }, mode: 'eco' });
  });

  it('replaces its old content when it is deleted and created again while a pass is under way', async () => {
    const w = world({ chunkSize: 100 });
    for (let i = 0; i < 250; i++) w.device(`d${i}`);
    w.service.put('x', deviceConfig(oldContent, '*'));
    let seen = 0;
    const swap = (event: TwinUpdatedEvent): void => {
      if (event.source !== 'configuration' || ++seen !== 150) return;
      w.events.off('twinUpdated', swap);
      w.service.delete('x');
      w.service.put('x', deviceConfig(newContent, '*'));
    };
    w.events.on('twinUpdated', swap);
    await w.service.evaluateNow();
    expect(seen).toBeGreaterThanOrEqual(150);
    await w.service.evaluateNow();
    for (const id of ['d0', 'd149', 'd249']) expect(w.desired(id)).toEqual({ fw: { v: 2 }, mode: 'eco' });
    expect(w.service.get('x').systemMetrics.results).toEqual({ targetedCount: 250, appliedCount: 250 });
  });

  it('replaces its old content after a restart of the hub', async () => {
    const w = world();
    w.device('a');
    w.service.put('x', deviceConfig(oldContent, '*'));
    await w.service.evaluateNow();

    const service = w.restart();
    service.delete('x');
    service.put('x', deviceConfig(newContent, '*'));
    await service.evaluateNow();
    expect(w.desired('a')).toEqual({ fw: { v: 2 }, mode: 'eco' });
  });
});

describe('creation numbers', () => {
  const repository = (store: MemoryStore) =>
    new ConfigurationRepository(store.collection<StoredConfiguration>('configurations'), store.collection<TwinLedger>('configurationLedger'), store.collection<string>('meta'));

  it('only ever increase, across deletions and restarts', () => {
    const store = new MemoryStore();
    const first = repository(store);
    expect([first.nextSequence(), first.nextSequence()]).toEqual([1, 2]);
    expect(repository(store).nextSequence()).toBe(3);
  });

  it('start above every number the ledgers of a store written before the counter existed use', () => {
    const store = new MemoryStore();
    store.collection<TwinLedger>('configurationLedger').put('a', { statuses: {}, owned: {}, sig: 'x#7|y#3' });
    expect(repository(store).nextSequence()).toBe(8);
  });
});
