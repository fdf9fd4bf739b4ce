import { HubError } from './errors.js';

/** The HubError `run` throws; fails when it throws nothing, and rethrows anything else. For tests. */
export function hubErrorOf(run: () => unknown): HubError {
  try {
    run();
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error('expected a HubError, but nothing was thrown');
}
