import { afterEach, describe, expect, it, vi } from 'vitest';
import { FleetRecorder } from './fleet-recorder.js';
import { MAX_SAMPLES, sampleHub } from './hub-sampler.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('run timeline', () => {
  it(`keeps at most ${MAX_SAMPLES} points however long the run, spacing them further apart and still covering the whole run`, async () => {
    vi.useFakeTimers();
    const recorder = new FleetRecorder(1, Date.now());
    const sampler = sampleHub(undefined, recorder);
    await vi.advanceTimersByTimeAsync(3 * 3_600_000); // three hours at two samples a second: 21,600 ticks
    await sampler.stop();
    expect(recorder.timeline.length).toBeLessThanOrEqual(MAX_SAMPLES + 1);
    expect(recorder.timeline.length).toBeGreaterThan(MAX_SAMPLES / 2);
    expect(recorder.timeline[0]?.t).toBeLessThan(60);
    expect(recorder.timeline.at(-1)?.t).toBeGreaterThanOrEqual(3 * 3_600);
  });
});
