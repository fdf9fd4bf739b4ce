import type { MqttTrafficRecord, TelemetryMessage } from './events.js';

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

/** The bytes a traffic record holds: its topic and payload (UTF-8). */
export function trafficBytes(record: MqttTrafficRecord): number {
  return RECORD_OVERHEAD_BYTES + Buffer.byteLength(record.topic) + Buffer.byteLength(record.payload);
}
