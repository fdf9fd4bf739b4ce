import type { TrafficRecord } from '@hubemu/shared';
import type { TelemetryMessage } from './events.js';

/** What a kept record costs beyond its strings: ids, timestamps, object headers (an estimate). */
const RECORD_OVERHEAD_BYTES = 128;

function propertyBytes(bag: Record<string, string | null>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(bag)) bytes += Buffer.byteLength(key) + (value === null ? 0 : Buffer.byteLength(value));
  return bytes;
}

/** The bytes a telemetry message holds: its body and its properties. */
export function telemetryBytes(message: TelemetryMessage): number {
  return RECORD_OVERHEAD_BYTES + message.body.length + propertyBytes(message.properties) + propertyBytes(message.systemProperties);
}

/** The bytes a traffic record holds: its strings (topic, payload, operation, message) as UTF-8. */
export function trafficBytes(record: TrafficRecord): number {
  const text = (value: string | undefined): number => (value === undefined ? 0 : Buffer.byteLength(value));
  return RECORD_OVERHEAD_BYTES + text(record.topic) + text(record.payload) + text(record.operation) + text(record.message);
}
