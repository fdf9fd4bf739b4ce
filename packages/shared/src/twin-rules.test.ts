import { describe, expect, it } from 'vitest';
import { HubError } from './errors.js';
import type { JsonObject } from './json.js';
import { hubErrorOf } from './hub-error.fixtures.js';
import {
  applyTwinWrite,
  etagMatches,
  identityEtag,
  newTwinState,
  patchSection,
  patchTags,
  renderDeviceSection,
  renderServiceSection,
  replaceSection,
  replaceTags,
  twinEtag,
  type TwinState,
} from './twin-rules.js';

// Injected clock values: each write in a test gets its own, so stamps show which write touched a node.
const T0 = Date.UTC(2019, 11, 29, 0, 58, 49, 931);
const T1 = T0 + 60_000;
const T2 = T0 + 120_000;
const T3 = T0 + 180_000;
const S0 = '2019-12-29T00:58:49.9310000Z';
const S1 = '2019-12-29T00:59:49.9310000Z';
const S2 = '2019-12-29T01:00:49.9310000Z';
const S3 = '2019-12-29T01:01:49.9310000Z';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;

function desiredPatch(state: TwinState, patch: JsonObject, nowMs: number): TwinState {
  return applyTwinWrite(state, { desired: { patch } }, { nowMs }).state;
}

function reportedPatch(state: TwinState, patch: JsonObject, nowMs: number): TwinState {
  return applyTwinWrite(state, { reported: { patch } }, { nowMs }).state;
}

function metadataOf(section: JsonObject): JsonObject {
  return section.$metadata as JsonObject;
}

describe('a fresh twin', () => {
  const state = newTwinState(T0);

  it('starts with desired and reported $version 1, top-level version 2 and etag AAAAAAAAAAE=', () => {
    expect(state.desired.version).toBe(1);
    expect(state.reported.version).toBe(1);
    expect(state.version).toBe(2);
    expect(twinEtag(state.etag)).toBe('AAAAAAAAAAE=');
    expect(state.tags).toEqual({});
  });

  it('renders its sections exactly like the observed twin of a newly created device', () => {
    expect(renderServiceSection(state.desired)).toEqual({ $metadata: { $lastUpdated: S0 }, $version: 1 });
    expect(renderServiceSection(state.reported)).toEqual({ $metadata: { $lastUpdated: S0 }, $version: 1 });
  });

  it('shows the device only the $version of each empty section', () => {
    expect(renderDeviceSection(state.desired)).toEqual({ $version: 1 });
    expect(renderDeviceSection(state.reported)).toEqual({ $version: 1 });
  });
});

describe('versions and etags', () => {
  it('bumps the desired $version, the twin version and the etag on a desired patch', () => {
    const next = desiredPatch(newTwinState(T0), { telemetryDelay: '2' }, T1);
    expect(next.desired.version).toBe(2);
    expect(next.reported.version).toBe(1);
    expect(next.version).toBe(3);
    expect(next.etag).toBe(2);
    expect(twinEtag(next.etag)).toBe('AAAAAAAAAAI=');
  });

  it('bumps the reported $version and the twin version but not the etag on a reported patch', () => {
    const next = reportedPatch(newTwinState(T0), { temperature: 32 }, T1);
    expect(next.reported.version).toBe(2);
    expect(next.desired.version).toBe(1);
    expect(next.version).toBe(3);
    expect(next.etag).toBe(1);
  });

  it('bumps the twin version and the etag but neither $version on a tags patch', () => {
    const next = applyTwinWrite(newTwinState(T0), { tags: { patch: { floor: 3 } } }, { nowMs: T1 }).state;
    expect(next.tags).toEqual({ floor: 3 });
    expect(next.desired.version).toBe(1);
    expect(next.reported.version).toBe(1);
    expect(next.version).toBe(3);
    expect(next.etag).toBe(2);
  });

  it('counts each patch as one update however many properties it touches', () => {
    const next = desiredPatch(newTwinState(T0), { a: 1, b: { c: 2 }, d: 'x' }, T1);
    expect(next.desired.version).toBe(2);
    expect(next.version).toBe(3);
  });

  it('keeps increasing the versions over a sequence of writes', () => {
    let state = newTwinState(T0);
    state = reportedPatch(state, { a: 1 }, T1);
    state = reportedPatch(state, { a: 2 }, T2);
    state = desiredPatch(state, { b: 1 }, T3);
    expect(state.reported.version).toBe(3);
    expect(state.desired.version).toBe(2);
    expect(state.version).toBe(5);
    expect(state.etag).toBe(2);
  });

  it('encodes the twin etag as base64 of a big-endian 64-bit counter', () => {
    expect(twinEtag(1)).toBe('AAAAAAAAAAE=');
    expect(twinEtag(7)).toBe('AAAAAAAAAAc=');
    expect(twinEtag(256)).toBe('AAAAAAAAAQA=');
    expect(Buffer.from(twinEtag(123456789), 'base64').readBigInt64BE()).toBe(123456789n);
  });

  it('encodes an identity etag as base64 of the decimal counter', () => {
    expect(identityEtag(580089003)).toBe('NTgwMDg5MDAz');
    expect(Buffer.from(identityEtag(7), 'base64').toString('utf8')).toBe('7');
  });
});

describe('etagMatches', () => {
  const current = 'AAAAAAAAAAc=';

  it('allows a write when no If-Match is given', () => {
    expect(etagMatches(undefined, current)).toBe(true);
  });

  it('allows a write when the quoted etag matches', () => {
    expect(etagMatches('"AAAAAAAAAAc="', current)).toBe(true);
  });

  it('allows a write when the unquoted etag matches', () => {
    expect(etagMatches('AAAAAAAAAAc=', current)).toBe(true);
  });

  it('allows a write for * and "*" whatever the current etag', () => {
    expect(etagMatches('*', current)).toBe(true);
    expect(etagMatches('"*"', current)).toBe(true);
  });

  it('ignores whitespace around the header value', () => {
    expect(etagMatches('  "AAAAAAAAAAc="  ', current)).toBe(true);
  });

  it('refuses a write when the quoted etag differs', () => {
    expect(etagMatches('"AAAAAAAAAAY="', current)).toBe(false);
  });

  it('refuses a write when the unquoted etag differs', () => {
    expect(etagMatches('AAAAAAAAAAY=', current)).toBe(false);
  });

  it('refuses a write for an empty or half-quoted value that does not match', () => {
    expect(etagMatches('""', current)).toBe(false);
    expect(etagMatches('"AAAAAAAAAAc=', current)).toBe(false);
  });
});

describe('merge-patch of desired properties', () => {
  it('adds new properties and keeps the ones the patch does not mention', () => {
    let state = desiredPatch(newTwinState(T0), { a: 1, b: 'two' }, T1);
    state = desiredPatch(state, { c: true }, T2);
    expect(state.desired.values).toEqual({ a: 1, b: 'two', c: true });
  });

  it('deletes a key set to null together with its metadata', () => {
    let state = desiredPatch(newTwinState(T0), { keep: 1, drop: { deep: 2 } }, T1);
    state = desiredPatch(state, { drop: null }, T2);
    expect(state.desired.values).toEqual({ keep: 1 });
    const meta = metadataOf(renderServiceSection(state.desired));
    expect(meta).not.toHaveProperty('drop');
    expect(meta).toHaveProperty('keep');
  });

  it('deletes a nested key set to null and keeps its siblings', () => {
    let state = desiredPatch(newTwinState(T0), { a: { b: 1, c: 2 } }, T1);
    state = desiredPatch(state, { a: { b: null } }, T2);
    expect(state.desired.values).toEqual({ a: { c: 2 } });
    const a = metadataOf(renderServiceSection(state.desired)).a as JsonObject;
    expect(a).not.toHaveProperty('b');
    expect(a.c).toEqual({ $lastUpdated: S1, $lastUpdatedVersion: 2 });
  });

  it('treats null for a key that does not exist as a no-op on the values', () => {
    const state = desiredPatch(newTwinState(T0), { ghost: null }, T1);
    expect(state.desired.values).toEqual({});
    expect(state.desired.version).toBe(2);
  });

  it('does not store nulls found inside a new object', () => {
    const state = desiredPatch(newTwinState(T0), { fresh: { x: null, y: 1, z: { w: null } } }, T1);
    expect(state.desired.values).toEqual({ fresh: { y: 1, z: {} } });
  });

  it('merges nested objects member by member and keeps untouched siblings and their stamps', () => {
    let state = desiredPatch(newTwinState(T0), { a: { b: 1, c: 2 }, d: 3 }, T1);
    state = desiredPatch(state, { a: { b: 5 } }, T2);
    expect(state.desired.values).toEqual({ a: { b: 5, c: 2 }, d: 3 });
    const meta = metadataOf(renderServiceSection(state.desired));
    expect(meta).toEqual({
      $lastUpdated: S2,
      $lastUpdatedVersion: 3,
      a: {
        $lastUpdated: S2,
        $lastUpdatedVersion: 3,
        b: { $lastUpdated: S2, $lastUpdatedVersion: 3 },
        c: { $lastUpdated: S1, $lastUpdatedVersion: 2 },
      },
      d: { $lastUpdated: S1, $lastUpdatedVersion: 2 },
    });
  });

  it('stamps every ancestor of a deeply changed node and no sibling branch', () => {
    let state = desiredPatch(newTwinState(T0), { x: { y: { z: 1 }, other: { q: 1 } } }, T1);
    state = desiredPatch(state, { x: { y: { z: 2 } } }, T3);
    const meta = metadataOf(renderServiceSection(state.desired));
    const x = meta.x as JsonObject;
    const y = x.y as JsonObject;
    const other = x.other as JsonObject;
    expect(meta.$lastUpdated).toBe(S3);
    expect(x.$lastUpdated).toBe(S3);
    expect(y.$lastUpdated).toBe(S3);
    expect((y.z as JsonObject).$lastUpdated).toBe(S3);
    expect(other).toEqual({ $lastUpdated: S1, $lastUpdatedVersion: 2, q: { $lastUpdated: S1, $lastUpdatedVersion: 2 } });
  });

  it('records $lastUpdatedVersion as the desired $version at which each node last changed', () => {
    let state = newTwinState(T0);
    state = desiredPatch(state, { a: 1 }, T1); // $version 2
    state = desiredPatch(state, { b: 1 }, T2); // $version 3
    state = desiredPatch(state, { c: { d: 1 } }, T3); // $version 4
    const meta = metadataOf(renderServiceSection(state.desired));
    expect(state.desired.version).toBe(4);
    expect(meta.$lastUpdatedVersion).toBe(4);
    expect((meta.a as JsonObject).$lastUpdatedVersion).toBe(2);
    expect((meta.b as JsonObject).$lastUpdatedVersion).toBe(3);
    expect((meta.c as JsonObject).$lastUpdatedVersion).toBe(4);
    expect(((meta.c as JsonObject).d as JsonObject).$lastUpdatedVersion).toBe(4);
  });

  it('matches the documented metadata shape of a first desired update', () => {
    const state = desiredPatch(newTwinState(T0), { telemetryDelay: '2' }, T1);
    expect(renderServiceSection(state.desired)).toEqual({
      telemetryDelay: '2',
      $metadata: {
        $lastUpdated: S1,
        $lastUpdatedVersion: 2,
        telemetryDelay: { $lastUpdated: S1, $lastUpdatedVersion: 2 },
      },
      $version: 2,
    });
  });

  it('replaces an object with a scalar and a scalar with an object, re-stamping the new subtree', () => {
    let state = desiredPatch(newTwinState(T0), { a: { b: 1 }, c: 1 }, T1);
    state = desiredPatch(state, { a: 'flat', c: { nested: true } }, T2);
    expect(state.desired.values).toEqual({ a: 'flat', c: { nested: true } });
    const meta = metadataOf(renderServiceSection(state.desired));
    expect(meta.a).toEqual({ $lastUpdated: S2, $lastUpdatedVersion: 3 });
    expect(meta.c).toEqual({ $lastUpdated: S2, $lastUpdatedVersion: 3, nested: { $lastUpdated: S2, $lastUpdatedVersion: 3 } });
  });

  it('replaces arrays as whole values and gives each array one metadata node', () => {
    let state = desiredPatch(newTwinState(T0), { list: [1, 2, { k: 'v' }] }, T1);
    let meta = metadataOf(renderServiceSection(state.desired));
    expect(meta.list).toEqual({ $lastUpdated: S1, $lastUpdatedVersion: 2 });

    state = desiredPatch(state, { list: ['only'] }, T2);
    expect(state.desired.values).toEqual({ list: ['only'] });
    meta = metadataOf(renderServiceSection(state.desired));
    expect(meta.list).toEqual({ $lastUpdated: S2, $lastUpdatedVersion: 3 });
  });

  it('keeps nulls that are elements of an array', () => {
    const state = desiredPatch(newTwinState(T0), { list: [null, 1] }, T1);
    expect(state.desired.values).toEqual({ list: [null, 1] });
  });

  it('returns the patch as applied, nulls included, as the desired notification', () => {
    const base = desiredPatch(newTwinState(T0), { route: 'a', other: 1 }, T1);
    const result = applyTwinWrite(base, { desired: { patch: { telemetrySendFrequency: '5m', route: null } } }, { nowMs: T2 });
    expect(result.desiredNotification).toEqual({ telemetrySendFrequency: '5m', route: null });
    expect(result.state.desired.values).toEqual({ telemetrySendFrequency: '5m', other: 1 });
  });

  it('returns no desired notification for a reported or tags write', () => {
    expect(applyTwinWrite(newTwinState(T0), { reported: { patch: { a: 1 } } }, { nowMs: T1 }).desiredNotification).toBeUndefined();
    expect(applyTwinWrite(newTwinState(T0), { tags: { patch: { a: 1 } } }, { nowMs: T1 }).desiredNotification).toBeUndefined();
  });
});

describe('merge-patch of reported properties', () => {
  it('stamps $lastUpdated on reported nodes and never $lastUpdatedVersion', () => {
    let state = reportedPatch(newTwinState(T0), { temperature: 32, fw: { version: '1.0', state: 'ok' } }, T1);
    state = reportedPatch(state, { fw: { state: 'updating' } }, T2);
    const section = renderServiceSection(state.reported);
    expect(section).toEqual({
      temperature: 32,
      fw: { version: '1.0', state: 'updating' },
      $metadata: {
        $lastUpdated: S2,
        temperature: { $lastUpdated: S1 },
        fw: { $lastUpdated: S2, version: { $lastUpdated: S1 }, state: { $lastUpdated: S2 } },
      },
      $version: 3,
    });
    expect(JSON.stringify(section)).not.toContain('$lastUpdatedVersion');
  });

  it('deletes reported keys set to null', () => {
    let state = reportedPatch(newTwinState(T0), { a: 1, b: 2 }, T1);
    state = reportedPatch(state, { a: null }, T2);
    expect(state.reported.values).toEqual({ b: 2 });
    expect(metadataOf(renderServiceSection(state.reported))).not.toHaveProperty('a');
  });

  it('leaves desired untouched when reported changes', () => {
    const base = desiredPatch(newTwinState(T0), { a: 1 }, T1);
    const next = reportedPatch(base, { b: 2 }, T2);
    expect(next.desired).toBe(base.desired);
  });

  it('can be applied directly with patchSection, returning a new section', () => {
    const section = newTwinState(T0).reported;
    const next = patchSection('reported', section, { a: 1 }, { nowMs: T1 });
    expect(next.version).toBe(2);
    expect(next.values).toEqual({ a: 1 });
    expect(section.values).toEqual({});
  });
});

describe('replace (PUT) of desired properties', () => {
  it('overwrites the whole section, bumps $version once and re-stamps every node', () => {
    let state = desiredPatch(newTwinState(T0), { old: 1, keep: { a: 1 } }, T1);
    const result = applyTwinWrite(state, { desired: { replace: { keep: { a: 1 }, fresh: [1, 2] } } }, { nowMs: T2 });
    state = result.state;
    expect(state.desired.values).toEqual({ keep: { a: 1 }, fresh: [1, 2] });
    expect(state.desired.version).toBe(3);
    expect(state.version).toBe(4);
    expect(state.etag).toBe(3);
    expect(renderServiceSection(state.desired)).toEqual({
      keep: { a: 1 },
      fresh: [1, 2],
      $metadata: {
        $lastUpdated: S2,
        $lastUpdatedVersion: 3,
        keep: { $lastUpdated: S2, $lastUpdatedVersion: 3, a: { $lastUpdated: S2, $lastUpdatedVersion: 3 } },
        fresh: { $lastUpdated: S2, $lastUpdatedVersion: 3 },
      },
      $version: 3,
    });
  });

  it('delivers the full new desired document as the notification', () => {
    const result = applyTwinWrite(newTwinState(T0), { desired: { replace: { a: 1, b: { c: 2 } } } }, { nowMs: T1 });
    expect(result.desiredNotification).toEqual({ a: 1, b: { c: 2 } });
  });

  it('refuses null values in a replacement document', () => {
    const error = hubErrorOf(() => replaceSection('desired', newTwinState(T0).desired, { a: null }, { nowMs: T1 }));
    expect(error.errorCode).toBe('ArgumentInvalid');
  });

  it('replaces tags as a whole', () => {
    let state = applyTwinWrite(newTwinState(T0), { tags: { patch: { a: 1, b: 2 } } }, { nowMs: T1 }).state;
    state = applyTwinWrite(state, { tags: { replace: { c: 3 } } }, { nowMs: T2 }).state;
    expect(state.tags).toEqual({ c: 3 });
    expect(replaceTags({ x: { y: 1 } }, { nowMs: T3 })).toEqual({ x: { y: 1 } });
  });
});

describe('tags', () => {
  it('merge member by member with null deletion', () => {
    const tags = patchTags({ location: { building: 43, floor: 1 }, owner: 'me' }, { location: { floor: 2 }, owner: null }, { nowMs: T1 });
    expect(tags).toEqual({ location: { building: 43, floor: 2 } });
  });

  it('keep nested siblings when a service write patches one member of a nested tag', () => {
    let state = applyTwinWrite(newTwinState(T0), { tags: { patch: { location: { building: 43, floor: 1, room: { id: 'a' } } } } }, { nowMs: T1 }).state;
    state = applyTwinWrite(state, { tags: { patch: { location: { floor: 2, room: { seats: 4 } } } } }, { nowMs: T2 }).state;
    expect(state.tags).toEqual({ location: { building: 43, floor: 2, room: { id: 'a', seats: 4 } } });
  });

  it('refuse a patch that would take tags over 8 KB and change nothing', () => {
    let state = newTwinState(T0);
    state = applyTwinWrite(state, { tags: { patch: { a: 'x'.repeat(4000), b: 'x'.repeat(4000) } } }, { nowMs: T1 }).state;
    const before = structuredClone(state);
    const error = hubErrorOf(() => applyTwinWrite(state, { tags: { patch: { c: 'x'.repeat(500) } } }, { nowMs: T2 }));
    expect(error.errorCode).toBe('ArgumentInvalid');
    expect(error.message).toContain('8192');
    expect(state).toEqual(before);
  });

  it('are never part of what the device sees', () => {
    const state = applyTwinWrite(newTwinState(T0), { tags: { patch: { secret: 'x' } } }, { nowMs: T1 }).state;
    expect(JSON.stringify(renderDeviceSection(state.desired))).not.toContain('secret');
    expect(JSON.stringify(renderDeviceSection(state.reported))).not.toContain('secret');
  });
});

describe('refused writes', () => {
  it('throw ArgumentInvalid (400004, HTTP 400) for a patch that breaks a key rule and change nothing', () => {
    const state = desiredPatch(newTwinState(T0), { a: { b: 1 } }, T1);
    const before = structuredClone(state);
    const error = hubErrorOf(() => applyTwinWrite(state, { desired: { patch: { a: { 'bad.key': 1 } } } }, { nowMs: T2 }));
    expect(error.errorCode).toBe('ArgumentInvalid');
    expect(error.code).toBe(400004);
    expect(error.status).toBe(400);
    expect(state).toEqual(before);
  });

  it('throw for a reported patch whose merged result exceeds the section size and change nothing', () => {
    let state = newTwinState(T0);
    for (let i = 0; i < 8; i++) state = reportedPatch(state, { [`p${i}`]: 'x'.repeat(4000) }, T1 + i);
    const before = structuredClone(state);
    const error = hubErrorOf(() => applyTwinWrite(state, { reported: { patch: { p8: 'x'.repeat(4000) } } }, { nowMs: T3 }));
    expect(error.errorCode).toBe('ArgumentInvalid');
    expect(error.message).toContain('32768');
    expect(state).toEqual(before);
  });

  it('are atomic: a valid tags part does not take effect when the desired part is refused', () => {
    const state = newTwinState(T0);
    const before = structuredClone(state);
    expect(() =>
      applyTwinWrite(state, { tags: { patch: { ok: 1 } }, desired: { patch: { $bad: 1 } } }, { nowMs: T1 }),
    ).toThrow(HubError);
    expect(state).toEqual(before);
  });

  it('throw for a patch that is not a JSON object', () => {
    const section = newTwinState(T0).desired;
    for (const patch of [null, [], 'text', 5]) {
      expect(hubErrorOf(() => patchSection('desired', section, patch, { nowMs: T1 })).errorCode).toBe('ArgumentInvalid');
    }
  });

  it('refuse the keys __proto__, constructor and prototype at any depth in every section, with 400004, leaving every prototype alone', () => {
    const state = desiredPatch(newTwinState(T0), { a: { b: 1 } }, T1);
    const before = structuredClone(state);
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const bad = JSON.parse(`{"${key}":{"isAdmin":true}}`) as JsonObject;
      const writes = [
        { tags: { patch: bad } },
        { tags: { replace: bad } },
        { desired: { patch: { a: bad } } },
        { desired: { replace: bad } },
        { reported: { patch: { a: { b: { c: bad } } } } },
      ];
      for (const write of writes) {
        const error = hubErrorOf(() => applyTwinWrite(state, write, { nowMs: T2 }));
        expect(error.code).toBe(400004);
        expect(error.message).toContain(key);
      }
    }
    expect(state).toEqual(before);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('isAdmin');
  });

  it('refuse arrays when the rejectArrays option is set and accept them otherwise', () => {
    const section = newTwinState(T0).desired;
    expect(patchSection('desired', section, { list: [1] }, { nowMs: T1 }).values).toEqual({ list: [1] });
    const error = hubErrorOf(() => patchSection('desired', section, { list: [1] }, { nowMs: T1, rejectArrays: true }));
    expect(error.message).toContain('arrays are not supported');
  });
});

describe('purity', () => {
  it('does not mutate the input state or the patch on a successful write', () => {
    const state = desiredPatch(newTwinState(T0), { a: { b: 1, c: [1, 2] }, d: 'x' }, T1);
    const before = structuredClone(state);
    const patch: JsonObject = { a: { b: 2, e: { f: null } }, d: null, g: [3] };
    const patchBefore = structuredClone(patch);
    applyTwinWrite(state, { desired: { patch }, reported: { patch: { r: 1 } }, tags: { patch: { t: 1 } } }, { nowMs: T2 });
    expect(state).toEqual(before);
    expect(patch).toEqual(patchBefore);
  });

  it('does not let later changes to the patch object leak into the stored twin', () => {
    const patch: JsonObject = { a: { b: 1 }, list: [1] };
    const state = desiredPatch(newTwinState(T0), patch, T1);
    (patch.a as JsonObject).b = 99;
    (patch.list as number[]).push(2);
    expect(state.desired.values).toEqual({ a: { b: 1 }, list: [1] });
  });

  it('renders copies, so editing a rendered section does not change the twin', () => {
    const state = desiredPatch(newTwinState(T0), { a: { b: 1 } }, T1);
    const rendered = renderServiceSection(state.desired);
    (rendered.a as JsonObject).b = 2;
    const device = renderDeviceSection(state.desired);
    (device.a as JsonObject).b = 3;
    expect(state.desired.values).toEqual({ a: { b: 1 } });
  });
});

describe('rendering', () => {
  it('gives the service values, $metadata and $version', () => {
    const state = desiredPatch(newTwinState(T0), { a: 1 }, T1);
    const section = renderServiceSection(state.desired);
    expect(Object.keys(section)).toEqual(['a', '$metadata', '$version']);
    expect(section.$version).toBe(2);
  });

  it('gives the device values and $version without $metadata', () => {
    const state = reportedPatch(newTwinState(T0), { temperature: 32 }, T1);
    expect(renderDeviceSection(state.reported)).toEqual({ temperature: 32, $version: 2 });
    expect(renderDeviceSection(state.reported)).not.toHaveProperty('$metadata');
  });

  it('writes timestamps in UTC with seven fractional digits ending in Z, from the injected clock', () => {
    const state = desiredPatch(newTwinState(T0), { a: { b: 1 } }, T1);
    const meta = metadataOf(renderServiceSection(state.desired));
    const a = meta.a as JsonObject;
    for (const stamp of [meta.$lastUpdated, a.$lastUpdated, (a.b as JsonObject).$lastUpdated]) {
      expect(stamp).toMatch(TIMESTAMP);
      expect(stamp).toBe(S1);
    }
  });
});
