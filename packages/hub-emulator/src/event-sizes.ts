import type { TrafficRecord } from '@hubemu/shared';

/** What a kept record costs beyond its strings: ids, timestamps, object headers (an estimate). */
const RECORD_OVERHEAD_BYTES = 128;

/** The bytes a traffic record holds: its strings (topic, payload, operation, message) as UTF-8. */
export function trafficBytes(record: TrafficRecord): number {
  const text = (value: string | undefined): number => (value === undefined ? 0 : Buffer.byteLength(value));
  return RECORD_OVERHEAD_BYTES + text(record.topic) + text(record.payload) + text(record.operation) + text(record.message);
}
