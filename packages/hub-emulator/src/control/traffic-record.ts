import type { TrafficFilter, TrafficPage, TrafficRecord } from '@hubemu/shared';
import { trafficBytes } from '../event-sizes.js';
import type { HubEvents, RequestEvent } from '../events.js';
import { RingBuffer } from '../ring-buffer.js';

/** The control plane's own calls are not traffic: reading the record must not change it. */
export function isControlOperation(event: Pick<RequestEvent, 'plane' | 'operation'>): boolean {
  return event.plane === 'http' && / \/emulator(\/|$)/.test(event.operation);
}

function toRecord(seq: number, event: RequestEvent): TrafficRecord {
  const { plane, direction, deviceId, moduleId, principal, operation, topic, status, errorCode, message, requestId, requestBytes, responseBytes, payload, fault, at } = event;
  return {
    seq,
    at,
    plane,
    direction: direction ?? 'in',
    ...(deviceId === undefined ? {} : { deviceId }),
    ...(moduleId === undefined ? {} : { moduleId }),
    ...(principal === undefined ? {} : { principal }),
    operation,
    ...(topic === undefined ? {} : { topic }),
    status,
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(message === undefined ? {} : { message }),
    ...(requestId === undefined ? {} : { requestId }),
    requestBytes,
    responseBytes,
    ...(payload === undefined ? {} : { payload }),
    ...(fault === undefined ? {} : { fault }),
  };
}

function matches(filter: TrafficFilter, since: number, until: number): (record: TrafficRecord) => boolean {
  const { operation } = filter;
  const operationMatches =
    operation === undefined ? () => true : operation.endsWith('*') ? (op: string) => op.startsWith(operation.slice(0, -1)) : (op: string) => op === operation;
  return (r) =>
    (filter.deviceId === undefined || r.deviceId === filter.deviceId) &&
    (filter.moduleId === undefined || r.moduleId === filter.moduleId) &&
    (filter.plane === undefined || r.plane === filter.plane) &&
    (filter.direction === undefined || r.direction === filter.direction) &&
    operationMatches(r.operation) &&
    (since === -Infinity || Date.parse(r.at) >= since) &&
    (until === Infinity || Date.parse(r.at) <= until);
}

/**
 * What crossed the planes, fed by the one event stream (`request` events, both directions): the record
 * `GET /emulator/traffic`, `hubemu emulator traffic` and `hub.traffic()` read. Bounded by a count and
 * bytes (the oldest go first) and counting what it dropped.
 */
export class TrafficRecorder {
  private readonly buffer: RingBuffer<TrafficRecord>;
  private seq = 0;

  constructor(events: HubEvents, limits: { capacity: number; maxBytes: number }) {
    this.buffer = new RingBuffer<TrafficRecord>({ ...limits, sizeOf: trafficBytes });
    if (limits.capacity > 0) {
      events.on('request', (event) => {
        if (!isControlOperation(event)) this.buffer.push(toRecord(++this.seq, event));
      });
    }
  }

  /** The records that match `filter`, oldest first, and how many the bound dropped. */
  list(filter: TrafficFilter = {}): TrafficPage {
    const since = filter.since === undefined ? -Infinity : Date.parse(filter.since);
    const until = filter.until === undefined ? Infinity : Date.parse(filter.until);
    return { records: this.buffer.toArray().filter(matches(filter, since, until)), dropped: this.dropped };
  }

  /** Records the bound dropped since the hub started or was reset. */
  get dropped(): number {
    return this.buffer.dropped;
  }

  clear(): void {
    this.buffer.clear();
  }
}
