import { HubError } from '@hubemu/shared';
import type { EventPosition } from '../event-hub/event-hub-types.js';

/** The filter key @azure/event-hubs puts on a partition receiver's source. */
export const SELECTOR_FILTER_KEY = 'apache.org:selector-filter:string';

const SELECTOR = /^amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time) (>=|>) '([^']*)'$/;

/** The selector's text out of a source's filter map (the value arrives as a described string). */
export function selectorText(filter: unknown): string | undefined {
  if (typeof filter !== 'object' || filter === null) return undefined;
  for (const [key, value] of Object.entries(filter)) {
    if (!key.toLowerCase().includes('selector-filter')) continue;
    let v: unknown = value;
    // A described value keeps its payload in `value` (possibly nested once more).
    for (let i = 0; i < 3 && typeof v === 'object' && v !== null && 'value' in v; i++) v = (v as { value: unknown }).value;
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * Where a reader starts, from its selector (reference iothub-messaging.md §9.5): offset `-1` is the
 * earliest, `@latest` only new events, else an offset, a sequence number or an enqueued time
 * (epoch ms), exclusive (`>`) or inclusive (`>=`). No filter is the latest (the SDK's default).
 * Throws ArgumentInvalid for a selector the service would not take.
 */
export function eventPositionOf(selector: string | undefined): EventPosition {
  if (selector === undefined) return { kind: 'latest' };
  const m = SELECTOR.exec(selector.trim());
  if (!m) throw new HubError('ArgumentInvalid', `Unsupported selector filter '${selector}'.`);
  const [, field, op, value = ''] = m;
  const inclusive = op === '>=';
  if (field === 'x-opt-offset') {
    if (value === '-1') return { kind: 'earliest' };
    if (value === '@latest') return { kind: 'latest' };
    if (!/^\d+$/.test(value)) throw new HubError('ArgumentInvalid', `The offset '${value}' is not a number.`);
    return { kind: 'offset', value, inclusive };
  }
  if (!/^-?\d+$/.test(value)) throw new HubError('ArgumentInvalid', `The ${field} '${value}' is not a number.`);
  const n = Number(value);
  if (field === 'x-opt-sequence-number') return { kind: 'sequenceNumber', value: n, inclusive };
  return { kind: 'enqueuedTime', valueMs: n, inclusive };
}
