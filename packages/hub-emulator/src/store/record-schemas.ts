import { z } from 'zod';
import { AuthenticationTypeSchema, DeviceStatusSchema, JOB_STATUSES, JOB_TYPES, JsonObjectSchema } from '@hubemu/shared';
import type { RecordSchemas } from './log-replay.js';

/**
 * What each collection of the hub stores, checked for every record replayed at open: a record the
 * services could not read is refused at start (file, line, reason), never met later as a 500.
 * Loose objects: fields added by later versions are kept.
 */
const count = z.number().int().nonnegative();
const text = z.string();
const nullableText = z.string().nullable();

const MetaNodeSchema: z.ZodType = z.looseObject({ lastUpdated: text, lastUpdatedVersion: count.optional(), children: z.lazy(() => z.record(z.string(), MetaNodeSchema)).optional() });
const TwinSectionSchema = z.looseObject({ values: JsonObjectSchema, version: count, meta: MetaNodeSchema });

export const StoredIdentitySchema = z.looseObject({
  deviceId: text.min(1),
  moduleId: text.min(1).optional(),
  managedBy: text.optional(),
  generationId: text,
  identityVersion: count,
  status: DeviceStatusSchema,
  statusReason: nullableText,
  statusUpdatedTime: text,
  auth: z.looseObject({ type: AuthenticationTypeSchema, primaryKey: nullableText, secondaryKey: nullableText, primaryThumbprint: nullableText, secondaryThumbprint: nullableText }),
  capabilities: z.looseObject({ iotEdge: z.boolean() }),
  deviceScope: text.optional(),
  parentScopes: z.array(text).optional(),
  modelId: text,
  cloudToDeviceMessageCount: count,
  twin: z.looseObject({ tags: JsonObjectSchema, desired: TwinSectionSchema, reported: TwinSectionSchema, version: count, etag: count }),
  configurations: z.record(z.string(), z.looseObject({ status: z.enum(['Targeted', 'Applied']) })).optional(),
});

export const StoredPresenceSchema = z.looseObject({ connectionState: z.enum(['Connected', 'Disconnected']), connectionStateUpdatedTime: text, lastActivityTime: text, owner: text.optional(), filters: z.array(text).optional() });

export const StoredJobSchema = z.looseObject({
  jobId: text.min(1),
  type: z.enum(JOB_TYPES),
  queryCondition: text,
  createdMs: z.number(),
  startMs: z.number(),
  maxExecutionTimeInSeconds: z.number(),
  status: z.enum(JOB_STATUSES),
  statistics: z.looseObject({}),
});

export const StoredDeviceJobSchema = z.looseObject({
  deviceId: text.min(1),
  jobId: text.min(1),
  jobType: z.enum(JOB_TYPES),
  status: z.enum(['pending', 'scheduled', 'running', 'completed', 'failed', 'cancelled']),
  startTimeUtc: text,
  endTimeUtc: text,
  createdDateTimeUtc: text,
  lastUpdatedDateTimeUtc: text,
});

export const StoredConfigurationSchema = z.looseObject({
  id: text.min(1),
  schemaVersion: text,
  labels: z.record(z.string(), z.string()).nullable(),
  kind: z.enum(['device', 'module']),
  content: JsonObjectSchema,
  targetCondition: text,
  priority: z.number(),
  createdMs: z.number(),
  lastUpdatedMs: z.number(),
  sequence: z.number(),
  version: count,
  metricQueries: z.record(z.string(), z.string()),
});

export const StoredTwinLedgerSchema = z.looseObject({
  statuses: z.record(z.string(), z.enum(['Targeted', 'Applied'])),
  owned: z.record(z.string(), z.string()),
  roots: z.array(text).optional(),
  sig: text.optional(),
});

/**
 * A queued cloud-to-device message (its body in base64). On a store shared by hub processes it carries
 * its lock, so a device may settle through any process; on one process locks are not kept: after a
 * restart every message is Enqueued.
 */
export const StoredC2dMessageSchema = z.looseObject({
  deviceId: text.min(1),
  sequenceNumber: count,
  messageId: text.optional(),
  correlationId: text.optional(),
  userId: text.optional(),
  contentType: text.optional(),
  contentEncoding: text.optional(),
  ack: z.enum(['none', 'positive', 'negative', 'full']),
  properties: z.record(z.string(), z.string()),
  body: text,
  enqueuedAtMs: z.number(),
  expiresAtMs: z.number(),
  senderSetExpiry: z.boolean().optional(),
  deliveryCount: count,
  deviceGenerationId: text,
  lockToken: text.optional(),
  lockedUntilMs: z.number().optional(),
});

/** A feedback record no reader has settled yet, kept only on a store shared by hub processes (so a reader on any process gets it). */
export const StoredFeedbackSchema = z.looseObject({
  originalMessageId: z.string(),
  enqueuedTimeUtc: text,
  statusCode: z.enum(['Success', 'Expired', 'DeliveryCountExceeded', 'Rejected', 'Purged']),
  description: z.string(),
  deviceId: text.min(1),
  deviceGenerationId: text,
});

/** The schemas the hub hands its durable store. */
export const HUB_RECORD_SCHEMAS: RecordSchemas = {
  identities: StoredIdentitySchema,
  presence: StoredPresenceSchema,
  jobs: StoredJobSchema,
  deviceJobs: StoredDeviceJobSchema,
  configurations: StoredConfigurationSchema,
  configurationLedger: StoredTwinLedgerSchema,
  meta: text,
  c2dMessages: StoredC2dMessageSchema,
  c2dSequences: count,
  c2dFeedback: StoredFeedbackSchema,
};
