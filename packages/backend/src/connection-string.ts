import { z } from 'zod';
import { parseConnectionString } from '@hubemu/shared';

/** A service connection string: `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`. */
export const ServiceConnectionStringSchema = z.object({
  HostName: z.string().min(1, 'HostName is empty'),
  SharedAccessKeyName: z.string().min(1, 'SharedAccessKeyName is empty'),
  SharedAccessKey: z.string().min(1, 'SharedAccessKey is empty'),
});

export interface ServiceCredentials {
  /** `localhost`, `localhost:8443` or `myhub.azure-devices.net`: the HTTPS authority and the token's `sr`. */
  hostName: string;
  policyName: string;
  policyKey: string;
}

/** Parses a service (shared access policy) connection string; throws a readable Error when it is not one. */
export function parseServiceConnectionString(text: string): ServiceCredentials {
  let fields: Record<string, string>;
  try {
    fields = parseConnectionString(text);
  } catch (error) {
    throw new Error(`Not a connection string: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (fields.DeviceId !== undefined) {
    throw new Error('This is a device connection string; the service API needs a shared access policy (HostName=...;SharedAccessKeyName=...;SharedAccessKey=...).');
  }
  const parsed = ServiceConnectionStringSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Not a service connection string: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'missing fields'} (expected HostName=...;SharedAccessKeyName=...;SharedAccessKey=...).`);
  }
  return { hostName: parsed.data.HostName, policyName: parsed.data.SharedAccessKeyName, policyKey: parsed.data.SharedAccessKey };
}
