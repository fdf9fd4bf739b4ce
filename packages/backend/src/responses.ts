import { z } from 'zod';
import type { DeviceIdentity, Twin } from '@hubemu/shared';
import { ServiceError } from './service-error.js';
import type { RestResponse } from './rest-client.js';

/**
 * What the client accepts back from the hub, checked at the edge. Only the fields the client relies
 * on are required; the rest passes through untouched (the service adds fields over time).
 */

export const DeviceIdentityResponseSchema = z.looseObject({
  deviceId: z.string(),
  etag: z.string(),
  authentication: z.looseObject({ type: z.string() }),
});

export const TwinResponseSchema = z.looseObject({
  deviceId: z.string(),
  etag: z.string(),
  properties: z.looseObject({ desired: z.looseObject({}), reported: z.looseObject({}) }),
});

export const MethodResultSchema = z.object({ status: z.number(), payload: z.unknown() });
export type MethodResult = z.infer<typeof MethodResultSchema>;

export const DeviceStatisticsSchema = z.object({
  totalDeviceCount: z.number(),
  enabledDeviceCount: z.number(),
  disabledDeviceCount: z.number(),
});
export type DeviceStatistics = z.infer<typeof DeviceStatisticsSchema>;

/** What `DELETE /devices/{id}/commands` answers: how many cloud-to-device messages it removed from the device's queue. */
export const PurgeResultSchema = z.looseObject({
  totalMessagesPurged: z.number().int().min(0),
  deviceId: z.string(),
  moduleId: z.string().nullish(),
});
export type PurgeResult = z.infer<typeof PurgeResultSchema>;

export const BulkResultSchema = z.object({
  isSuccessful: z.boolean(),
  errors: z.array(z.looseObject({ deviceId: z.string(), errorCode: z.union([z.number(), z.string()]), errorStatus: z.string().nullish() })),
  warnings: z.array(z.unknown()),
});
export type BulkResult = z.infer<typeof BulkResultSchema>;

/** The body of `answer`, checked with `schema`; a mismatch is ServiceError `InvalidResponse`. */
export function expectBody<S extends z.ZodType>(schema: S, answer: RestResponse, what: string): z.output<S> {
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceError({
      status: answer.status,
      errorCode: 'InvalidResponse',
      message: `The hub's answer to ${what} is not what the service API returns (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed'}).`,
      body: JSON.stringify(answer.body),
    });
  }
  return parsed.data;
}

/** A device or module identity, checked; returned as the hub sent it (field order kept). */
export function asIdentity(answer: RestResponse, what: string): DeviceIdentity {
  expectBody(DeviceIdentityResponseSchema, answer, what);
  return answer.body as DeviceIdentity;
}

/** A twin, checked; returned as the hub sent it (field order kept). */
export function asTwin(answer: RestResponse, what: string): Twin {
  expectBody(TwinResponseSchema, answer, what);
  return answer.body as Twin;
}
