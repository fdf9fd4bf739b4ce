import type { Twin } from '@hubemu/shared';
import { makeTwin } from './conformance.fixtures.js';

/** A deterministic pseudo-random fleet for paging and index tests (no Math.random: failures reproduce). */
export function generateFleet(count: number, seed = 1, prefix = 'dev'): Twin[] {
  let state = seed >>> 0 || 1;
  const next = (n: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const regions = ['US', 'EU', 'APAC'];
  const statuses = ['Success', 'Pending', 'Error'];
  const twins: Twin[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${String(i).padStart(5, '0')}`;
    const hasTags = next(10) !== 0;
    twins.push(
      makeTwin({
        deviceId: id,
        connectionState: next(2) === 0 ? 'Connected' : 'Disconnected',
        ...(hasTags
          ? {
              tags: {
                location: { region: regions[next(3)] as string, plant: `plant-${next(20)}` },
                floor: next(5),
                ...(next(4) === 0 ? { maintenance: true } : {}),
              },
            }
          : {}),
        reported: {
          telemetryConfig: { sendFrequencyInSecs: 30 * (1 + next(10)), status: statuses[next(3)] as string },
          ...(next(3) === 0 ? { firmware: { version: `1.${next(4)}.0` } } : {}),
        },
      }),
    );
  }
  return twins;
}
