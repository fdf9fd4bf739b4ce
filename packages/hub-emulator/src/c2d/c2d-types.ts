/**
 * Cloud-to-device messages as the core holds them (reference: iothub-messaging.md §3–§5). The planes
 * translate: AMQP (the service's `Client.send`, the feedback receiver), MQTT and HTTPS (devices).
 */

/** When the sender wants feedback (`iothub-ack`). */
export type C2dAck = 'none' | 'positive' | 'negative' | 'full';

/** What a sender gives the hub for one device. */
export interface C2dSendInput {
  deviceId: string;
  messageId?: string;
  correlationId?: string;
  userId?: string;
  /** Absolute expiry (epoch ms); the hub's default TTL from enqueue when absent. */
  expiresAtMs?: number;
  contentType?: string;
  contentEncoding?: string;
  ack: C2dAck;
  /** Application properties. */
  properties: Record<string, string>;
  body: Buffer;
}

/** A message in a device's queue, as delivered to the device. */
export interface C2dMessage extends C2dSendInput {
  /** Unique within the device's queue. */
  sequenceNumber: number;
  enqueuedAtMs: number;
  expiresAtMs: number;
  /** Abandons so far. */
  deliveryCount: number;
  /** The device's generation id when it was enqueued (feedback names it). */
  deviceGenerationId: string;
  /** Whether `expiresAtMs` came from the sender (then devices see it: MQTT `$.exp`, HTTPS `iothub-expiry`) or from the hub's default TTL. */
  senderSetExpiry: boolean;
}

/** A message handed to a device and locked until it is settled or its lock expires. */
export interface C2dLockedMessage {
  message: C2dMessage;
  lockToken: string;
  lockedUntilMs: number;
}

/** Feedback status codes (`statusCode` of a record). */
export type FeedbackStatus = 'Success' | 'Expired' | 'DeliveryCountExceeded' | 'Rejected' | 'Purged';

/** One feedback record, as the service's JSON body names its keys. */
export interface FeedbackRecord {
  originalMessageId: string;
  enqueuedTimeUtc: string;
  statusCode: FeedbackStatus;
  description: string;
  deviceId: string;
  deviceGenerationId: string;
}

/** A batch of feedback records sent to a reader as one message, locked until settled. */
export interface FeedbackBatch {
  lockToken: string;
  messageId: string;
  enqueuedAtMs: number;
  records: FeedbackRecord[];
}

/** What the AMQP plane needs of the C2D core: enqueue a sent message, and the hub's feedback queue. */
export interface C2dSendSide {
  /**
   * Enqueues a message for its device, or throws a HubError: DeviceNotFound, DeviceMaximumQueueDepthExceeded
   * (50 pending), MessageTooLarge (64 KB), ArgumentInvalid (an expiry in the past). On a store shared
   * by hub processes, a promise of the message once committed (rejected with the same errors).
   */
  send(input: C2dSendInput): C2dMessage | Promise<C2dMessage>;
  readonly feedback: FeedbackQueue;
}

/** The hub's one feedback queue; readers compete for its batches. */
export interface FeedbackQueue {
  /** The next batch ready for a reader, locked until settled or until its lock expires; undefined when none. */
  take(): FeedbackBatch | undefined;
  /** The reader accepted it: gone. */
  complete(lockToken: string): void;
  /** Released or modified: offered again (its delivery count grows). */
  abandon(lockToken: string): void;
  /** Rejected: dead-lettered (dropped). */
  reject(lockToken: string): void;
  /** Calls `listener` whenever a batch may have become available; returns the unsubscribe. */
  onAvailable(listener: () => void): () => void;
}
