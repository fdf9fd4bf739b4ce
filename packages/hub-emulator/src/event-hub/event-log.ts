import { ConsumerGroupNameSchema, HubError, parseWithSchema, silentLogger, type Clock, type Logger } from '@hubemu/shared';
import type { EventHubLog, EventPosition, HubEvent, PartitionInfo } from './event-hub-types.js';
import { Fifo } from '../fifo.js';
import { partitionOf } from './partition-hash.js';
import { PartitionQueue, type Retained } from './partition-queue.js';

/** What a plane or a message source hands the log; the log numbers, times and places it. */
export type NewHubEvent = Omit<HubEvent, 'partition' | 'sequenceNumber' | 'offset' | 'enqueuedTimeMs'>;

/** Where an event goes in its partition, and when it was enqueued. */
export interface Numbering {
  sequenceNumber: number;
  /** Byte offset. */
  offset: number;
  enqueuedTimeMs: number;
}

export interface EventLogOptions {
  /** The Event Hub-compatible name: the hub name. */
  name: string;
  partitions: number;
  /** `$Default` always exists besides these. */
  consumerGroups: readonly string[];
  /** Most events kept, all partitions together; 0 keeps none. */
  maxEvents: number;
  /** Most bytes kept (bodies, properties, annotations), all partitions together. */
  maxBytes: number;
  /** Events enqueued longer ago than this are dropped. */
  retentionMs: number;
  clock: Clock;
  logger?: Logger;
}

/** What a kept event costs beyond its strings and body: numbers, object headers (an estimate). */
const EVENT_OVERHEAD_BYTES = 128;

function recordBytes(record: Record<string, string>): number {
  let bytes = 0;
  for (const key in record) bytes += Buffer.byteLength(key) + Buffer.byteLength(record[key] as string);
  return bytes;
}

/** The bytes an event holds: body, application properties, annotations and the properties section. */
export function eventBytes(event: NewHubEvent): number {
  const text = (value: string | undefined): number => (value === undefined ? 0 : Buffer.byteLength(value));
  return (
    EVENT_OVERHEAD_BYTES +
    event.body.length +
    recordBytes(event.properties) +
    recordBytes(event.annotations) +
    text(event.deviceId) +
    text(event.moduleId) +
    text(event.messageId) +
    text(event.correlationId) +
    text(event.userId) +
    text(event.contentType) +
    text(event.contentEncoding)
  );
}

const NUMERIC = /^-?\d+$/;

/** The consumer group every Event Hub has; it cannot be deleted. */
export const DEFAULT_CONSUMER_GROUP = '$Default';

/** The AMQP properties-section fields an event may carry (the device's `$.mid`, `$.cid`, `$.uid`, `$.ct`, `$.ce`). */
export const SECTION_FIELDS = ['messageId', 'correlationId', 'userId', 'contentType', 'contentEncoding'] as const;

/**
 * The Event Hubs-compatible endpoint's log (iothub-messaging.md §9): events per partition, numbered
 * from 0, with byte offsets as numeric strings, kept within a count, a byte and a time bound over all
 * partitions together, the oldest dropped first. Readers pull (`read`) and are woken by `onAppend`, so
 * a slow reader never holds a device up and costs no memory of its own. Pure: no I/O, no timers (time
 * retention is applied whenever the log is touched).
 */
export class EventLog implements EventHubLog {
  readonly name: string;
  readonly partitionCount: number;
  readonly createdAtMs: number;
  private readonly partitions: PartitionQueue[];
  /** Consumer groups by lower-cased name, each with the name as it was given (for lists). */
  private readonly consumerGroups = new Map<string, string>();
  /** The partition of every retained event, in append order: the order eviction follows. */
  private readonly order = new Fifo<number>();
  private heldBytes = 0;
  private lastEnqueuedMs = 0;
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private readonly clearListeners = new Set<() => void>();
  private readonly groupDeletedListeners = new Set<(name: string) => void>();

  constructor(private readonly options: EventLogOptions) {
    this.name = options.name;
    this.partitionCount = options.partitions;
    this.createdAtMs = options.clock.now();
    this.partitions = Array.from({ length: options.partitions }, () => new PartitionQueue());
    this.resetConsumerGroups();
  }

  /** Consumer group names are case-insensitive, as the SDK's `$default` and the portal's `$Default` show. */
  hasConsumerGroup(name: string): boolean {
    return this.consumerGroups.has(name.toLowerCase());
  }

  /** The consumer groups, `$Default` first, then in the order they were configured or created. */
  listConsumerGroups(): string[] {
    return [...this.consumerGroups.values()];
  }

  /** A consumer group's name as stored, asked for in any case; 404 NotFound when there is none. */
  getConsumerGroup(name: string): string {
    const found = this.consumerGroups.get(name.toLowerCase());
    if (found === undefined) throw new HubError('NotFound', `The consumer group '${name}' does not exist.`);
    return found;
  }

  /**
   * Adds a consumer group at run time (as `az iot hub consumer-group create` does): 409 Conflict when one
   * of that name exists in any case (`$Default` too), 400 ArgumentInvalid for a name the service refuses.
   * Returns the name as stored.
   */
  createConsumerGroup(name: string): string {
    if (this.hasConsumerGroup(name)) throw new HubError('Conflict', `The consumer group '${name}' already exists.`);
    const parsed = parseWithSchema(ConsumerGroupNameSchema, name, 'consumer group name');
    this.consumerGroups.set(parsed.toLowerCase(), parsed);
    return parsed;
  }

  /**
   * Removes a consumer group (any case) and tells the `onConsumerGroupDeleted` listeners, so readers of
   * it are detached as Event Hubs detaches them. `$Default` cannot be deleted (400); an unknown one is 404 NotFound.
   */
  deleteConsumerGroup(name: string): void {
    const key = name.toLowerCase();
    if (key === DEFAULT_CONSUMER_GROUP.toLowerCase()) throw new HubError('ArgumentInvalid', `The consumer group '${DEFAULT_CONSUMER_GROUP}' cannot be deleted.`);
    if (!this.consumerGroups.delete(key)) throw new HubError('NotFound', `The consumer group '${name}' does not exist.`);
    this.notifyGroupDeleted(key);
  }

  /** Calls `listener` with the lower-cased name of each consumer group deleted (by `deleteConsumerGroup` or a reset). */
  onConsumerGroupDeleted(listener: (name: string) => void): () => void {
    this.groupDeletedListeners.add(listener);
    return () => this.groupDeletedListeners.delete(listener);
  }

  /** Back to `$Default` and the configured consumer groups (a hub reset); groups created since are deleted. */
  resetConsumerGroups(): void {
    const configured = new Map<string, string>([[DEFAULT_CONSUMER_GROUP.toLowerCase(), DEFAULT_CONSUMER_GROUP]]);
    for (const group of this.options.consumerGroups) if (!configured.has(group.toLowerCase())) configured.set(group.toLowerCase(), group);
    const dropped = [...this.consumerGroups.keys()].filter((key) => !configured.has(key));
    this.consumerGroups.clear();
    for (const [key, group] of configured) this.consumerGroups.set(key, group);
    for (const key of dropped) this.notifyGroupDeleted(key);
  }

  /** The partition a device's events go to. */
  partitionOf(deviceId: string): number {
    return partitionOf(deviceId, this.partitionCount);
  }

  /** Numbers, times and keeps an event (unless it alone exceeds the byte bound); returns it as stored. */
  append(input: NewHubEvent): HubEvent {
    const partition = this.partitionOf(input.deviceId);
    const queue = this.partitions[partition] as PartitionQueue;
    // Enqueued times never go back within the log, even when a test clock is set back: positions by time stay well defined.
    const enqueuedTimeMs = Math.max(this.options.clock.now(), this.lastEnqueuedMs);
    return this.keep(input, partition, queue.nextSequenceNumber, queue.nextOffset, enqueuedTimeMs);
  }

  /**
   * Keeps an event numbered elsewhere: by the log the processes of a hub share (docs/scale-out.md),
   * which hands every process the same events in the same order. One this log has already is skipped;
   * one that does not follow on from the partition's last (this process fell behind the shared log's
   * bound) drops what the partition held first, so the retained events stay consecutive.
   */
  appendAssigned(input: NewHubEvent, numbering: Numbering): void {
    const partition = this.partitionOf(input.deviceId);
    const queue = this.partitions[partition] as PartitionQueue;
    if (numbering.sequenceNumber < queue.nextSequenceNumber) return;
    if (numbering.sequenceNumber > queue.nextSequenceNumber && queue.size > 0) this.dropPartition(partition);
    this.keep(input, partition, numbering.sequenceNumber, numbering.offset, numbering.enqueuedTimeMs);
  }

  /** Positional arguments: it runs for every event, and makes no object per call. */
  private keep(input: NewHubEvent, partition: number, sequenceNumber: number, offset: number, enqueuedTimeMs: number): HubEvent {
    const queue = this.partitions[partition] as PartitionQueue;
    this.lastEnqueuedMs = Math.max(this.lastEnqueuedMs, enqueuedTimeMs);
    const bytes = eventBytes(input);
    // Built field by field: an object spread here cost ten times the rest of the append.
    const event: HubEvent = {
      partition,
      sequenceNumber,
      offset: String(offset),
      enqueuedTimeMs,
      deviceId: input.deviceId,
      messageSource: input.messageSource,
      annotations: input.annotations,
      properties: input.properties,
      body: input.body,
    };
    if (input.moduleId !== undefined) event.moduleId = input.moduleId;
    for (const key of SECTION_FIELDS) {
      const value = input[key];
      if (value !== undefined) event[key] = value;
    }
    queue.nextSequenceNumber = sequenceNumber + 1;
    queue.nextOffset = offset + bytes;
    queue.last = event;
    if (this.options.maxEvents > 0 && bytes <= this.options.maxBytes) {
      queue.push({ event, bytes, offset });
      this.order.push(partition);
      this.heldBytes += bytes;
      while (this.retainedCount > this.options.maxEvents || this.heldBytes > this.options.maxBytes) this.evictOldest();
    }
    this.expire();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A reader's bug must not fail the device that sent the event.
        (this.options.logger ?? silentLogger).error({ deviceId: event.deviceId, err: error }, 'event log listener failed');
      }
    }
    return event;
  }

  partitionInfo(partition: number): PartitionInfo {
    const queue = this.queue(partition);
    this.expire();
    const last = queue.last;
    if (last === undefined) {
      // Nothing was ever enqueued: the values reference §9.3 suggests (the service's own are not documented).
      return { partition, beginSequenceNumber: -1, lastEnqueuedSequenceNumber: -1, lastEnqueuedOffset: '-1', lastEnqueuedTimeMs: 0, isEmpty: true };
    }
    return {
      partition,
      beginSequenceNumber: queue.begin,
      lastEnqueuedSequenceNumber: last.sequenceNumber,
      lastEnqueuedOffset: last.offset,
      lastEnqueuedTimeMs: last.enqueuedTimeMs,
      isEmpty: queue.size === 0,
    };
  }

  startOf(partition: number, position: EventPosition): number {
    const queue = this.queue(partition);
    this.expire();
    switch (position.kind) {
      case 'earliest':
        return queue.begin;
      case 'latest':
        return queue.nextSequenceNumber;
      case 'sequenceNumber': {
        const start = position.inclusive ? position.value : position.value + 1;
        if (!Number.isSafeInteger(start) || start > queue.nextSequenceNumber) {
          const lastText = queue.last === undefined ? 'none' : `'${queue.last.sequenceNumber}'`;
          throw new HubError('ArgumentInvalid', `The supplied sequence number '${position.value}' is invalid. The last sequence number in partition ${partition} is ${lastText}.`);
        }
        return Math.max(start, queue.begin);
      }
      case 'offset': {
        if (position.value === '-1') return queue.begin;
        if (position.value === '@latest') return queue.nextSequenceNumber;
        if (!NUMERIC.test(position.value)) throw new HubError('ArgumentInvalid', `The supplied offset '${position.value}' is not a number.`);
        const value = Number(position.value);
        return queue.begin + queue.firstWhere((item) => (position.inclusive ? item.offset >= value : item.offset > value));
      }
      case 'enqueuedTime': {
        const value = position.valueMs;
        return queue.begin + queue.firstWhere((item) => (position.inclusive ? item.event.enqueuedTimeMs >= value : item.event.enqueuedTimeMs > value));
      }
    }
  }

  read(partition: number, from: number, max: number): HubEvent[] {
    const queue = this.queue(partition);
    this.expire();
    const events: HubEvent[] = [];
    for (let index = Math.max(from, queue.begin) - queue.begin; events.length < max; index++) {
      const item = queue.at(index);
      if (item === undefined) break;
      events.push(item.event);
    }
    return events;
  }

  onAppend(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` when the log is emptied (a hub reset): readers at an old position start over at the next event. */
  onClear(listener: () => void): () => void {
    this.clearListeners.add(listener);
    return () => this.clearListeners.delete(listener);
  }

  /** Every retained event, all partitions, in the order they were appended (the embedded API's `telemetry()`). */
  retained(): HubEvent[] {
    this.expire();
    const cursors = this.partitions.map(() => 0);
    const events: HubEvent[] = [];
    for (let i = 0; i < this.order.size; i++) {
      const partition = this.order.at(i) as number;
      const item = this.partitions[partition]?.at(cursors[partition]!++);
      if (item) events.push(item.event);
    }
    return events;
  }

  /** Events retained, all partitions together. */
  get retainedCount(): number {
    return this.order.size;
  }

  /** Bytes retained, as `eventBytes` counts them. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Drops every event (a hub reset). Sequence numbers and offsets go on from where they were, so a
   * reader that reconnects with "after the last one I saw" is still asking for a valid position.
   */
  clear(): void {
    for (const queue of this.partitions) queue.clear();
    this.order.clear();
    this.heldBytes = 0;
    for (const listener of this.clearListeners) listener();
  }

  private notifyGroupDeleted(key: string): void {
    for (const listener of this.groupDeletedListeners) {
      try {
        listener(key);
      } catch (error) {
        (this.options.logger ?? silentLogger).error({ consumerGroup: key, err: error }, 'consumer group listener failed');
      }
    }
  }

  private queue(partition: number): PartitionQueue {
    const queue = Number.isInteger(partition) ? this.partitions[partition] : undefined;
    if (!queue) throw new HubError('NotFound', `The partition '${partition}' does not exist: the partitions are 0 to ${this.partitionCount - 1}.`);
    return queue;
  }

  /** Drops every event a partition retains (the order of the others is kept). */
  private dropPartition(partition: number): void {
    const queue = this.partitions[partition] as PartitionQueue;
    for (let item = queue.shift(); item; item = queue.shift()) this.heldBytes -= item.bytes;
    const others: number[] = [];
    for (let p = this.order.shift(); p !== undefined; p = this.order.shift()) if (p !== partition) others.push(p);
    for (const p of others) this.order.push(p);
  }

  private evictOldest(): Retained | undefined {
    const partition = this.order.shift();
    if (partition === undefined) return undefined;
    const item = this.partitions[partition]?.shift();
    if (item) this.heldBytes -= item.bytes;
    return item;
  }

  /** Drops events older than the retention time, oldest first. */
  private expire(): void {
    const cutoff = this.options.clock.now() - this.options.retentionMs;
    for (;;) {
      const partition = this.order.at(0);
      if (partition === undefined) return;
      const oldest = this.partitions[partition]?.oldest();
      if (oldest === undefined || oldest.event.enqueuedTimeMs > cutoff) return;
      this.evictOldest();
    }
  }
}
