import { z } from 'zod';

/**
 * The wire shapes of the `/emulator/` control plane (docs/testing-with-hubemu.md), shared by the hub
 * that serves them and the clients (backend, CLI) that call them.
 */

/** One thing that crossed a plane, as `GET /emulator/traffic` and `hub.traffic()` give it. */
export const TrafficRecordSchema = z.object({
  /** Increases by one per record the hub kept since it started (gaps are records dropped by the bound or filtered out). */
  seq: z.number().int(),
  /** When it happened, by the hub's clock (ISO 8601). */
  at: z.string(),
  plane: z.string(),
  /** `in`: a client asked (a device publish, a REST call); `out`: the hub pushed to a device (a desired notification, a method request, a C2D message). */
  direction: z.enum(['in', 'out']),
  deviceId: z.string().optional(),
  moduleId: z.string().optional(),
  /** Who asked: the identity on a device plane, the policy on REST. */
  principal: z.string().optional(),
  /** `twin.get`, `twin.patchReported`, `twin.desiredNotification`, `method.request`, `c2d.deliver`, ... or `PATCH /twins/:deviceId`. */
  operation: z.string(),
  /** The MQTT topic as published (device planes), or the AMQP link address (AMQP plane). */
  topic: z.string().optional(),
  status: z.number().int(),
  errorCode: z.string().optional(),
  message: z.string().optional(),
  /** `$rid` on MQTT, `x-ms-client-request-id` on REST. */
  requestId: z.string().optional(),
  requestBytes: z.number(),
  responseBytes: z.number(),
  /** The MQTT payload as UTF-8 (device planes). */
  payload: z.string().optional(),
  /** The id of the injected fault that acted on it (failed, delayed, dropped it...); `status` 0 when nothing was answered. */
  fault: z.string().optional(),
  /** On a hub of several processes (docs/scale-out.md): the process that recorded it; `seq` counts per process. */
  process: z.string().optional(),
});
export type TrafficRecord = z.output<typeof TrafficRecordSchema>;

const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), { message: 'must be an ISO 8601 time' });

/** What `GET /emulator/traffic` filters by (query parameters; every one optional, all must match). */
export const TrafficFilterSchema = z.strictObject({
  deviceId: z.string().min(1).optional(),
  moduleId: z.string().min(1).optional(),
  plane: z.string().min(1).optional(),
  /** Exact operation (`twin.get`), or a prefix ending in `*` (`twin.*`, `PATCH *`). */
  operation: z.string().min(1).optional(),
  direction: z.enum(['in', 'out']).optional(),
  /** Records at or after this time. */
  since: timestamp.optional(),
  /** Records at or before this time. */
  until: timestamp.optional(),
});
export type TrafficFilter = z.output<typeof TrafficFilterSchema>;

/** `GET /emulator/traffic` as JSON. */
export const TrafficPageSchema = z.object({
  records: z.array(TrafficRecordSchema),
  /** Records the bound (`trafficBufferSize`, `trafficBufferBytes`) dropped since the hub started or was reset. */
  dropped: z.number().int(),
});
export type TrafficPage = z.output<typeof TrafficPageSchema>;

/** `POST /emulator/reset`. */
export const ResetResultSchema = z.object({
  /** Devices the seed created again. */
  devices: z.number().int(),
  /** Connections closed. */
  disconnected: z.number().int(),
  durationMs: z.number(),
});
export type ResetResult = z.output<typeof ResetResultSchema>;

/** `POST /emulator/devices/{id}[/modules/{mid}]/disconnect`. */
export const DisconnectResultSchema = z.object({ disconnected: z.boolean() });
export type DisconnectResult = z.output<typeof DisconnectResultSchema>;

/** A consumer group of the Event Hubs-compatible endpoint, as `/emulator/eventhub/consumergroups` answers it. */
export const ConsumerGroupSchema = z.object({ name: z.string() });
export type ConsumerGroup = z.output<typeof ConsumerGroupSchema>;
