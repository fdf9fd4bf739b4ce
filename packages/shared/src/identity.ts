import { z } from 'zod';
import { LIMITS } from './limits.js';
import { AuthenticationTypeSchema, ConnectionStateSchema, DeviceStatusSchema } from './twin.js';

/** deviceId / moduleId: case-sensitive, up to 128 ASCII alphanumerics and `- : . + % _ # * ? ! ( ) , = @ ; $ '`. */
export const IDENTITY_ID_PATTERN = /^[A-Za-z0-9\-:.+%_#*?!(),=@;$']{1,128}$/;

export const IdentityIdSchema = z
  .string()
  .max(LIMITS.idLength, `An id is at most ${LIMITS.idLength} characters.`)
  .regex(IDENTITY_ID_PATTERN, "An id may contain only ASCII letters, digits and - : . + % _ # * ? ! ( ) , = @ $ ' and semicolons");

export const SymmetricKeySchema = z.object({
  primaryKey: z.string().nullish(),
  secondaryKey: z.string().nullish(),
});

export const X509ThumbprintSchema = z.object({
  primaryThumbprint: z.string().nullish(),
  secondaryThumbprint: z.string().nullish(),
});

export const AuthenticationMechanismSchema = z.object({
  type: AuthenticationTypeSchema.optional(),
  symmetricKey: SymmetricKeySchema.nullish(),
  x509Thumbprint: X509ThumbprintSchema.nullish(),
});

/** The Device JSON of the registry REST API (reference 4.2). */
export interface DeviceIdentity {
  deviceId: string;
  moduleId?: string;
  managedBy?: string;
  generationId: string;
  etag: string;
  connectionState: z.infer<typeof ConnectionStateSchema>;
  status?: z.infer<typeof DeviceStatusSchema>;
  statusReason?: string | null;
  connectionStateUpdatedTime: string;
  statusUpdatedTime?: string;
  lastActivityTime: string;
  cloudToDeviceMessageCount: number;
  authentication: {
    type: z.infer<typeof AuthenticationTypeSchema>;
    symmetricKey: { primaryKey: string | null; secondaryKey: string | null };
    x509Thumbprint: { primaryThumbprint: string | null; secondaryThumbprint: string | null };
  };
  capabilities?: { iotEdge: boolean };
  deviceScope?: string;
  parentScopes?: string[];
}

/** What a client may send to create or update a device (read-only fields are ignored). */
export const DeviceIdentityInputSchema = z.object({
  deviceId: z.string().optional(),
  status: DeviceStatusSchema.optional(),
  statusReason: z.string().nullish(),
  authentication: AuthenticationMechanismSchema.nullish(),
  capabilities: z.object({ iotEdge: z.boolean().optional() }).nullish(),
  deviceScope: z.string().nullish(),
  parentScopes: z.array(z.string()).nullish(),
  etag: z.string().nullish(),
});
export type DeviceIdentityInput = z.infer<typeof DeviceIdentityInputSchema>;

export const ModuleIdentityInputSchema = z.object({
  deviceId: z.string().optional(),
  moduleId: z.string().optional(),
  managedBy: z.string().nullish(),
  authentication: AuthenticationMechanismSchema.nullish(),
  etag: z.string().nullish(),
});
export type ModuleIdentityInput = z.infer<typeof ModuleIdentityInputSchema>;

/** A device (`moduleId` absent) or one of its modules. */
export interface IdentityRef {
  deviceId: string;
  moduleId?: string;
}

/**
 * `{deviceId}` or `{deviceId}/{moduleId}`: the key of an identity everywhere in the hub, and the MQTT
 * client id of a device or module. Ids never hold `/` (IDENTITY_ID_PATTERN), so the first `/` splits it.
 */
export function identityKey(deviceId: string, moduleId?: string): string {
  return moduleId === undefined ? deviceId : `${deviceId}/${moduleId}`;
}

/** The identity an identityKey names: the inverse of identityKey. */
export function parseIdentityKey(key: string): IdentityRef {
  const slash = key.indexOf('/');
  return slash === -1 ? { deviceId: key } : { deviceId: key.slice(0, slash), moduleId: key.slice(slash + 1) };
}

/** True when an identityKey names a module rather than a device. */
export function isModuleKey(key: string): boolean {
  return key.includes('/');
}
