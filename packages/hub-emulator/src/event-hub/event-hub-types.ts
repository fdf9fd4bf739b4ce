/**
 * The Event Hubs-compatible endpoint's events as the core holds them (iothub-messaging.md §8–§9): what
 * devices sent (and, where routed, twin change and connection state events), stamped by the hub and
 * kept per partition within the retention bounds. The AMQP plane renders them for `@azure/event-hubs`.
 */

import { NON_TELEMETRY_MESSAGE_SOURCES } from '@hubemu/shared';

/** What the service names `iothub-message-source`. */
export const MESSAGE_SOURCES = ['Telemetry', ...NON_TELEMETRY_MESSAGE_SOURCES] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

/** One event in one partition. */
export interface HubEvent {
  partition: number;
  /** Per partition, from 0. */
  sequenceNumber: number;
  /** An increasing numeric string (x-opt-offset). */
  offset: string;
  /** When the hub enqueued it (iothub-enqueuedtime and x-opt-enqueued-time), epoch ms. */
  enqueuedTimeMs: number;
  deviceId: string;
  moduleId?: string;
  messageSource: MessageSource;
  /** Message annotations the hub stamps as strings (iothub-connection-auth-method, iothub-connection-auth-generation-id, dt-dataschema, dt-subject ...). */
  annotations: Record<string, string>;
  /** AMQP properties section values: messageId, correlationId, userId, contentType, contentEncoding. */
  messageId?: string;
  correlationId?: string;
  userId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** Application properties. */
  properties: Record<string, string>;
  body: Buffer;
}

/** Where a reader starts (the SDK's filter on x-opt-offset, x-opt-sequence-number or x-opt-enqueued-time). */
export type EventPosition =
  | { kind: 'offset'; value: string; inclusive: boolean }
  | { kind: 'sequenceNumber'; value: number; inclusive: boolean }
  | { kind: 'enqueuedTime'; valueMs: number; inclusive: boolean }
  | { kind: 'earliest' }
  | { kind: 'latest' };

/** What `$management` answers for one partition. */
export interface PartitionInfo {
  partition: number;
  beginSequenceNumber: number;
  lastEnqueuedSequenceNumber: number;
  lastEnqueuedOffset: string;
  lastEnqueuedTimeMs: number;
  isEmpty: boolean;
}

/** What the AMQP plane needs of the core's event log. */
export interface EventHubLog {
  /** The Event Hub-compatible name (`EntityPath`): the hub name, the first label of the host name. */
  readonly name: string;
  readonly partitionCount: number;
  readonly createdAtMs: number;
  /** `$Default` (any case) and the configured ones. */
  hasConsumerGroup(name: string): boolean;
  partitionInfo(partition: number): PartitionInfo;
  /** The sequence number of the first event a reader at `position` gets (it may not exist yet). */
  startOf(partition: number, position: EventPosition): number;
  /** Up to `max` retained events of the partition with sequence number `from` or more, oldest first. */
  read(partition: number, from: number, max: number): HubEvent[];
  /** Calls `listener` for each event appended; returns the unsubscribe. */
  onAppend(listener: (event: HubEvent) => void): () => void;
  /** Calls `listener` with the lower-cased name of each consumer group deleted at run time or by a reset; returns the unsubscribe. */
  onConsumerGroupDeleted(listener: (name: string) => void): () => void;
}
