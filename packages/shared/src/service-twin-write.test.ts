import { describe, expect, it } from 'vitest';
import { hubErrorOf } from './hub-error.fixtures.js';
import { carriesReported, serviceTwinWrite } from './service-twin-write.js';
import { applyTwinWrite, newTwinState } from './twin-rules.js';

const T0 = Date.UTC(2026, 0, 1);

describe('service-side twin bodies', () => {
  it('reads a whole section set to null as a clear, and the twin rules turn it into a patch nulling every key', () => {
    const write = serviceTwinWrite({ tags: null, properties: { desired: null } }, 'patch');
    expect(write).toEqual({ tags: { clear: true }, desired: { clear: true } });
    const base = applyTwinWrite(newTwinState(T0), { tags: { patch: { site: 'oslo' } }, desired: { patch: { fan: 'on', limits: { max: 5 } } } }, { nowMs: T0 }).state;
    const result = applyTwinWrite(base, write, { nowMs: T0 + 1 });
    expect(result.state.tags).toEqual({});
    expect(result.state.desired.values).toEqual({});
    expect(result.state.desired.version).toBe(base.desired.version + 1);
    expect(result.desiredNotification).toEqual({ fan: null, limits: null });
  });

  it('writes nothing for empty sections and drops $metadata and $version copied from a GET', () => {
    expect(serviceTwinWrite({ tags: {}, properties: { desired: {}, reported: {} } }, 'patch')).toEqual({});
    expect(serviceTwinWrite({ properties: { desired: { a: 1, $version: 4, $metadata: {} } } }, 'patch')).toEqual({ desired: { patch: { a: 1 } } });
    expect(serviceTwinWrite({ properties: { desired: { $version: 4 } } }, 'replace')).toEqual({ desired: { replace: {} } });
  });

  it('refuses reported values in a patch with ArgumentInvalid, and lets a PUT carry them (ignored)', () => {
    expect(carriesReported({ properties: { reported: {} } })).toBe(false);
    expect(carriesReported({ properties: { reported: { $version: 3, $metadata: {} } } })).toBe(false);
    expect(carriesReported({ properties: { reported: { x: 1 } } })).toBe(true);
    expect(carriesReported({ properties: { reported: 5 } })).toBe(true);
    expect(hubErrorOf(() => serviceTwinWrite({ properties: { reported: { x: 1 } } }, 'patch')).errorCode).toBe('ArgumentInvalid');
    expect(serviceTwinWrite({ tags: { a: 1 }, properties: { reported: { x: 1 } } }, 'replace')).toEqual({ tags: { replace: { a: 1 } } });
  });
});
