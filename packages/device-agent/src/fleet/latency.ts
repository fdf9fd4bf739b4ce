/** Latency numbers as a fleet report gives them (milliseconds). */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  let sum = 0;
  for (const v of list) sum += v;
  return {
    count: list.length,
    p50: percentile(list, 50),
    p95: percentile(list, 95),
    p99: percentile(list, 99),
    max: list[list.length - 1] as number,
    mean: Math.round((sum / list.length) * 100) / 100,
  };
}

/** Counts occurrences by reason and keeps a few example device ids for each. */
export class ReasonCounter {
  private readonly reasons = new Map<string, { count: number; deviceIds: string[] }>();

  constructor(private readonly samples = 5) {}

  add(reason: string, deviceId: string): void {
    const entry = this.reasons.get(reason) ?? { count: 0, deviceIds: [] };
    entry.count++;
    if (entry.deviceIds.length < this.samples) entry.deviceIds.push(deviceId);
    this.reasons.set(reason, entry);
  }

  get total(): number {
    let total = 0;
    for (const entry of this.reasons.values()) total += entry.count;
    return total;
  }

  list(): Array<{ reason: string; count: number; deviceIds: string[] }> {
    return [...this.reasons.entries()]
      .map(([reason, e]) => ({ reason, count: e.count, deviceIds: [...e.deviceIds] }))
      .sort((a, b) => b.count - a.count);
  }
}
