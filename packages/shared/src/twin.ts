import { z } from 'zod';
import { isJsonObject, type JsonObject } from './json.js';

/** Any JSON object (not an array, not null): a twin section, a patch, a configuration's content. */
export const JsonObjectSchema = z.custom<JsonObject>(isJsonObject, { message: 'expected a JSON object' });

/**
 * The service-side twin document, as `GET /twins/{id}` returns it and as queries see it.
 * Desired and reported carry `$metadata` and `$version`.
 */
export interface TwinProperties {
  desired: JsonObject;
  reported: JsonObject;
}

export interface Twin {
  deviceId: string;
  moduleId?: string;
  etag: string;
  deviceEtag: string;
  status: DeviceStatus;
  statusReason?: string;
  statusUpdateTime: string;
  connectionState: ConnectionState;
  lastActivityTime: string;
  cloudToDeviceMessageCount: number;
  authenticationType: AuthenticationType;
  x509Thumbprint: { primaryThumbprint: string | null; secondaryThumbprint: string | null };
  modelId: string;
  version: number;
  tags?: JsonObject;
  properties: TwinProperties;
  capabilities?: { iotEdge: boolean };
  deviceScope?: string;
  parentScopes?: string[];
  /** `configurations.[[id]].status` as automatic device management writes it. */
  configurations?: Record<string, { status: ConfigurationTwinStatus }>;
}

export const DeviceStatusSchema = z.enum(['enabled', 'disabled']);
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;
export const ConnectionStateSchema = z.enum(['Connected', 'Disconnected']);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;
export const AuthenticationTypeSchema = z.enum(['sas', 'selfSigned', 'certificateAuthority', 'none']);
export type AuthenticationType = z.infer<typeof AuthenticationTypeSchema>;
/** `configurations.[[id]].status`, capitalised as the service writes it (`... .status = 'Applied'` in metric queries). */
export type ConfigurationTwinStatus = 'Targeted' | 'Applied';

/** What the device sees on `$iothub/twin/GET`: `{"desired":{...},"reported":{...}}`, each with `$version`, no `$metadata`. */
export interface DeviceTwinView {
  desired: JsonObject;
  reported: JsonObject;
}
export const DeviceTwinViewSchema = z.looseObject({ desired: JsonObjectSchema, reported: JsonObjectSchema });

/** A desired-properties notification on `$iothub/twin/PATCH/properties/desired/?$version={n}`: the patch and its `$version`. */
export const DesiredNotificationSchema = JsonObjectSchema.refine((patch) => patch.$version === undefined || Number.isInteger(patch.$version), {
  message: '$version must be an integer',
});

/**
 * A service-side twin write (`PATCH`/`PUT /twins/{id}`, a job's `updateTwin`): tags and desired
 * properties; null deletes in a PATCH. Key, value and size rules are the twin rules' (`limits.ts`).
 */
export const TwinPatchSchema = z.looseObject({
  tags: JsonObjectSchema.nullish(),
  properties: z
    .strictObject({
      desired: JsonObjectSchema.nullish(),
      // Read-only from the service: a PATCH with it is refused, a PUT (a whole twin copied from a GET) ignores it.
      reported: z.unknown().optional(),
    })
    .nullish(),
  etag: z.string().nullish(),
});
export type TwinPatch = z.infer<typeof TwinPatchSchema>;

/** "Never", as the service writes it. */
export const NEVER = '0001-01-01T00:00:00Z';
