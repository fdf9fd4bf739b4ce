import { faultErrorCode, formatTimestamp, HubError, type ErrorCodeName, type Fault, type HubClock } from '@hubemu/shared';
import type { HubEvents } from '../events.js';
import type { AdmissionRequest, FaultTable } from './fault-table.js';
import { METHOD_METER_BYTES, throttleClassOf, type TierThrottle } from './tier-throttles.js';

export type { AdmissionRequest } from './fault-table.js';

/**
 * What a plane does with one operation. `faultId` names the fault that decided it (absent for tier
 * throttling). `fail`: answer with the error instead; `delay`: carry it out after `ms`; `drop`: carry
 * out nothing and answer nothing; `disconnect`: close the device's connection instead; `refuse`:
 * CONNACK 3; `pause`: hand the delivery to `hold`, which runs it when the fault is removed;
 * `timeout`: do not deliver the method call (the caller gets 504 when its response timeout ends).
 */
export type Verdict =
  | { act: 'fail'; error: HubError; faultId?: string }
  | { act: 'delay'; ms: number; faultId?: string }
  | { act: 'drop' | 'disconnect' | 'refuse' | 'timeout'; faultId: string }
  | { act: 'pause'; faultId: string; hold: (release: () => void) => void };

/** Generic texts for the errors faults usually inject, close to the service's own. */
const FAULT_MESSAGES: Partial<Record<ErrorCodeName, string>> = {
  ThrottlingException: 'The request was throttled: the rate of requests is over the hub\'s limit. Retry later.',
  ServiceUnavailable: 'The service is temporarily unavailable. Retry later.',
  ServerError: 'An internal error occurred.',
  GatewayTimeout: 'Timed out waiting for the response from device.',
};

/** The error a `fail` fault answers with. */
export function faultError(fault: Fault): HubError {
  const code = fault.errorCode ?? faultErrorCode(fault.status ?? 500) ?? 'ServerError';
  return new HubError(code, fault.message ?? FAULT_MESSAGES[code] ?? `Injected fault '${fault.id}'.`, { faultId: fault.id });
}

/**
 * The one admission seam: every plane asks it, per operation, before carrying the operation out.
 * Injected faults decide first, then the tier's throttles. With no fault and no tier it answers
 * `undefined` after one check, so planes pay nothing for it.
 */
export class Admission {
  constructor(
    private readonly faults: FaultTable,
    private readonly throttle: TierThrottle | undefined,
    private readonly clock: HubClock,
    private readonly events: HubEvents,
  ) {}

  /** Carries out a `delay` verdict: `fn` runs once `ms` passed on the hub's clock (a test clock holds it until moved). */
  after(ms: number, fn: () => void): void {
    this.clock.after(ms, fn);
  }

  /** Nothing can act: no fault in the table and no tier (planes may skip asking). */
  get idle(): boolean {
    return this.faults.size === 0 && this.throttle === undefined;
  }

  admit(request: AdmissionRequest): Verdict | undefined {
    if (this.idle) return undefined;
    const now = this.clock.now();
    const hit = this.faults.size === 0 ? undefined : this.faults.match(request, now);
    if (hit) {
      const { fault } = hit;
      this.events.emit('faultApplied', {
        faultId: fault.id,
        action: hit.action,
        operation: request.operation,
        ...(request.route === undefined ? {} : { route: request.route }),
        ...(request.deviceId === undefined ? {} : { deviceId: request.deviceId }),
        ...(request.moduleId === undefined ? {} : { moduleId: request.moduleId }),
        at: formatTimestamp(now),
      });
      switch (hit.action) {
        case 'fail':
          return { act: 'fail', error: faultError(fault), faultId: fault.id };
        case 'delay':
          return { act: 'delay', ms: fault.delayMs ?? 0, faultId: fault.id };
        case 'pause':
          return { act: 'pause', faultId: fault.id, hold: hit.hold };
        default:
          return { act: hit.action, faultId: fault.id };
      }
    }
    const kind = this.throttle && throttleClassOf(request.operation, request.route);
    if (!this.throttle || !kind) return undefined;
    const shaped = this.throttle.take(kind, now, kind === 'methods' ? Math.max(METHOD_METER_BYTES, request.bytes ?? 0) : (request.messages ?? 1));
    if ('refused' in shaped) return { act: 'fail', error: new HubError('ThrottlingException', FAULT_MESSAGES.ThrottlingException as string) };
    return shaped.waitMs > 0 ? { act: 'delay', ms: shaped.waitMs } : undefined;
  }
}
