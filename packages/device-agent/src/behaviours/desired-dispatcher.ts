import type { DesiredChange } from '../client/twin-sync-state.js';
import type { DesiredHandler, DesiredOutcome } from './behaviour.js';

/** One measured desired -> reported convergence. */
export interface ConvergenceRecord {
  version: number;
  source: DesiredChange['source'];
  outcome: 'applied' | 'failed';
  /** When the desired `$version` arrived (scheduler clock, ms). */
  arrivedAt: number;
  /** When the last behaviour finished reporting for it. */
  completedAt: number;
  durationMs: number;
}

/**
 * Hands each desired change to every behaviour's handler and turns their outcomes into a convergence
 * record: `failed` if any failed (or threw), else `applied` if any applied, else nothing.
 */
export class DesiredDispatcher {
  private readonly handlers = new Set<DesiredHandler>();

  constructor(private readonly now: () => number) {}

  add(handler: DesiredHandler): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  async dispatch(change: DesiredChange): Promise<ConvergenceRecord | undefined> {
    const arrivedAt = this.now();
    const results = await Promise.allSettled([...this.handlers].map(async (handler) => handler(change)));
    const outcomes = results.map((r): DesiredOutcome => (r.status === 'rejected' ? 'failed' : (r.value ?? 'ignored')));
    const outcome = outcomes.includes('failed') ? 'failed' : outcomes.includes('applied') ? 'applied' : undefined;
    if (outcome === undefined) return undefined;
    const completedAt = this.now();
    return { version: change.version, source: change.source, outcome, arrivedAt, completedAt, durationMs: completedAt - arrivedAt };
  }
}
