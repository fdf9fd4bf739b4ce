import { z } from 'zod';
import { ERROR_CODES, type ErrorCodeName } from './errors.js';
import { parseRequiredBody } from './parse.js';
import { MAX_TIMER_MS } from './time.js';

/**
 * Fault injection's one grammar (docs/testing-with-hubemu.md, "Faults"): what a fault hits, when, and
 * what happens. The REST control route, the CLI and `hub.faults.add()` all parse with this schema.
 */

/**
 * The operations a fault can hit: device-plane requests and pushes, device-to-cloud telemetry (MQTT
 * publish, device HTTPS `POST .../messages/events`), any REST route (`http`), and a C2D send on AMQP (`c2d.send`).
 */
export const FAULT_OPERATIONS = ['connect', 'twin.get', 'twin.patchReported', 'twin.desired', 'method.invoke', 'telemetry', 'http', 'c2d.send'] as const;
export type FaultOperation = (typeof FAULT_OPERATIONS)[number];

export const FAULT_ACTIONS = ['fail', 'delay', 'drop', 'disconnect', 'refuse', 'pause', 'timeout'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** Which actions make sense for which operation (a desired notification has no answer to fail, ...). */
export const FAULT_ACTIONS_BY_OPERATION: Record<FaultOperation, readonly FaultAction[]> = {
  connect: ['fail', 'delay', 'drop', 'refuse'],
  'twin.get': ['fail', 'delay', 'drop', 'disconnect'],
  'twin.patchReported': ['fail', 'delay', 'drop', 'disconnect'],
  'twin.desired': ['delay', 'drop', 'disconnect', 'pause'],
  'method.invoke': ['fail', 'delay', 'timeout', 'disconnect'],
  // MQTT has no negative PUBACK: a failed publish closes the connection unacknowledged; HTTPS answers the error.
  telemetry: ['fail', 'delay', 'drop', 'disconnect'],
  http: ['fail', 'delay', 'drop'],
  // A dropped send is never settled (the SDK's send() waits); a failed one is rejected with the error's AMQP condition.
  'c2d.send': ['fail', 'delay', 'drop'],
};

/** The error a `fail` fault answers with when only a status is given: the service's usual code for it. */
export const FAULT_STATUS_CODES: Readonly<Record<number, ErrorCodeName>> = {
  400: 'ArgumentInvalid',
  401: 'IotHubUnauthorized',
  403: 'IotHubQuotaExceeded',
  404: 'DeviceNotFound',
  412: 'PreconditionFailed',
  429: 'ThrottlingException',
  500: 'ServerError',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCodeName, ...ErrorCodeName[]];
const ms = z.number().int().min(1).max(MAX_TIMER_MS);

export const FaultDefinitionSchema = z
  .object({
    /** Names the fault (generated when absent); letters, digits, `.`, `_` and `-`. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, ".", "_" or "-"').optional(),
    operation: z.enum(FAULT_OPERATIONS),
    /** With `http`: the route as the request event names it (`PATCH /twins/:deviceId`); `*` matches any run of characters. All routes when absent. */
    route: z.string().min(1).optional(),
    /** A device id, or a pattern where `*` matches any run of characters; every device when absent. */
    device: z.string().min(1).optional(),
    /** Only the next N matching operations. */
    count: z.number().int().min(1).optional(),
    /** Only this share of matching operations (0 < share <= 1), drawn from a random sequence seeded by `seed`. */
    share: z.number().gt(0).max(1).optional(),
    seed: z.number().int().optional(),
    /** Only for this long after it is added. */
    forMs: ms.optional(),
    action: z.enum(FAULT_ACTIONS),
    /** `fail`: the HTTP status (and `$iothub/twin/res/{status}` on MQTT); `errorCode` names the IoT Hub error instead or as well. */
    status: z.number().int().min(400).max(599).optional(),
    errorCode: z.enum(ERROR_CODE_NAMES).optional(),
    /** `fail`: the error's message (a generic one for the code when absent). */
    message: z.string().min(1).max(1024).optional(),
    /** `delay`: how long the operation waits before it is carried out. */
    delayMs: ms.optional(),
    /** `disconnect`: let this many matching operations through first; without it the device is also disconnected when the fault is added. */
    afterOperations: z.number().int().min(0).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const problem = (path: string, message: string): void => void ctx.addIssue({ code: 'custom', path: [path], message });
    if (!FAULT_ACTIONS_BY_OPERATION[f.operation].includes(f.action)) {
      problem('action', `'${f.action}' does not apply to '${f.operation}' (use ${FAULT_ACTIONS_BY_OPERATION[f.operation].join(', ')})`);
    }
    if (f.route !== undefined && f.operation !== 'http') problem('route', "route applies only to operation 'http'");
    if (f.action === 'delay' && f.delayMs === undefined) problem('delayMs', "a 'delay' fault needs delayMs");
    if (f.action !== 'delay' && f.delayMs !== undefined) problem('delayMs', "delayMs applies only to action 'delay'");
    if (f.action !== 'disconnect' && f.afterOperations !== undefined) problem('afterOperations', "afterOperations applies only to action 'disconnect'");
    if (f.action !== 'fail' && (f.status !== undefined || f.errorCode !== undefined || f.message !== undefined)) {
      problem('status', "status, errorCode and message apply only to action 'fail'");
    }
    if (f.action === 'fail') {
      if (f.status === undefined && f.errorCode === undefined) problem('status', "a 'fail' fault needs a status or an errorCode");
      else if (f.errorCode !== undefined && f.status !== undefined && ERROR_CODES[f.errorCode].status !== f.status) {
        problem('status', `${f.errorCode} is status ${ERROR_CODES[f.errorCode].status}, not ${f.status}`);
      } else if (f.errorCode === undefined && f.status !== undefined && faultErrorCode(f.status) === undefined) {
        problem('status', `no IoT Hub error has status ${f.status}: name an errorCode`);
      }
    }
    if (f.seed !== undefined && f.share === undefined) problem('seed', 'seed applies only with share');
  });

export type FaultDefinitionInput = z.input<typeof FaultDefinitionSchema>;
export type FaultDefinition = z.output<typeof FaultDefinitionSchema>;

/** The IoT Hub error a status stands for: the usual one, else the first in the error table with that status. */
export function faultErrorCode(status: number): ErrorCodeName | undefined {
  return FAULT_STATUS_CODES[status] ?? ERROR_CODE_NAMES.find((name) => ERROR_CODES[name].status === status);
}

/** A fault definition as every edge receives it; absent is 400 ArgumentNull, malformed 400 ArgumentInvalid naming the field. */
export function parseFaultDefinition(value: unknown): FaultDefinition {
  return parseRequiredBody(FaultDefinitionSchema, value, 'fault');
}

/** A fault in the table: its definition with its id, when it was added, when it ends and how often it acted. */
export interface Fault extends FaultDefinition {
  id: string;
  createdAt: string;
  expiresAt?: string;
  applied: number;
}
