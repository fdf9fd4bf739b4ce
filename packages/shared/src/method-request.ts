import { z } from 'zod';
import { HubError } from './errors.js';
import { nestsDeeperThan } from './json.js';
import { LIMITS } from './limits.js';
import { parseRequiredBody } from './parse.js';

/**
 * Method names: printable US-ASCII without `$ ( ) < > @ , ; : \ " / [ ] ? = { }`, space or tab
 * (reference 1.7), and without the MQTT wildcards `#` and `+`: the name travels in the topic
 * `$iothub/methods/POST/{name}/`, and a topic name must not contain them (MQTT 4.7.1).
 */
export const METHOD_NAME_PATTERN = /^[!%&'*\-.0-9A-Z^_`a-z|~]{1,128}$/;

export const MethodRequestSchema = z.object({
  methodName: z.string().regex(METHOD_NAME_PATTERN, 'methodName may contain only printable ASCII without spaces, semicolons, the MQTT wildcards # and + or any of $()<>@,:\\"/[]?={}'),
  // Any JSON, but not nested without end: serialising it must not overflow the stack (400, not 500).
  payload: z
    .unknown()
    .optional()
    .refine((value) => !nestsDeeperThan(value, LIMITS.methodPayloadDepth), `nests objects and arrays more than ${LIMITS.methodPayloadDepth} levels deep`),
  responseTimeoutInSeconds: z.number().int().min(5).max(300).nullish(),
  connectTimeoutInSeconds: z.number().int().min(0).max(300).nullish(),
});
export type MethodRequest = z.infer<typeof MethodRequestSchema>;

/**
 * A method request as every edge receives it (`POST /twins/{id}/methods`, a job's `cloudToDeviceMethod`,
 * the embedded `hub.invokeMethod`), parsed once there: absent is 400 ArgumentNull, malformed 400 ArgumentInvalid.
 */
export function parseMethodRequest(body: unknown): MethodRequest {
  return parseRequiredBody(MethodRequestSchema, body, 'method request');
}

/** The payload as it travels to the device; 413 MessageTooLarge over 128 KB (direct calls and method jobs alike). */
export function methodPayloadText(request: MethodRequest): string {
  const text = JSON.stringify(request.payload ?? null);
  if (Buffer.byteLength(text) > LIMITS.methodPayloadBytes) {
    throw new HubError('MessageTooLarge', `The method payload is larger than ${LIMITS.methodPayloadBytes} bytes.`);
  }
  return text;
}
