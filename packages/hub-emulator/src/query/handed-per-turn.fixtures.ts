import { vi } from 'vitest';
import { QueryEngine } from './query-engine.js';

/**
 * Runs `run` and answers the most twins handed to the query engine within one turn of the event loop
 * meanwhile: how long a catch-up may hold the loop, counted in twins instead of milliseconds.
 * Restore the spy with `vi.restoreAllMocks()` after each test.
 */
export async function mostHandedPerTurn(run: () => Promise<void>): Promise<number> {
  const handed = vi.spyOn(QueryEngine.prototype, 'onTwinChanged');
  let last = 0;
  let most = 0;
  let watching = true;
  const tick = (): void => {
    most = Math.max(most, handed.mock.calls.length - last);
    last = handed.mock.calls.length;
    if (watching) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    await run();
  } finally {
    watching = false;
    tick();
  }
  return most;
}
