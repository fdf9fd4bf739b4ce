import { z } from 'zod';
import type { JsonObject } from './json.js';

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

/** What the device sees on `$iothub/twin/GET`: no wrapper, no `$metadata`. */
export interface DeviceTwinView {
  desired: JsonObject;
  reported: JsonObject;
}

/** "Never", as the service writes it. */
export const NEVER = '0001-01-01T00:00:00Z';
