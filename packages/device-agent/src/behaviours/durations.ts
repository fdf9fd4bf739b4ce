import type { JsonValue } from '@hubemu/shared';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a send frequency as the tutorials write it: `'30s'`, `'5m'`, `'24h'`, `'500ms'`, `'1d'`; a bare
 * number (or numeric text) is seconds. Undefined when it is not a positive duration.
 */
export function parseDuration(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return value > 0 && Number.isFinite(value) ? value * 1_000 : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[(m[2] ?? 's').toLowerCase()] ?? 1_000);
  return ms > 0 ? ms : undefined;
}
