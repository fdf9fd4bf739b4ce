import { formatTimestamp, type HubClock, type HubError } from '@hubemu/shared';
import type { HubEvents, IdentityRef } from '../events.js';

/** One AMQP operation's outcome, as its `request` event records it. */
export interface AmqpOutcome extends Partial<IdentityRef> {
  /** `cbs.putToken`, `link.attach`, `c2d.send`, `feedback.settle`, `management.read`. */
  operation: string;
  /** The link address (recorded as the event's `topic`). */
  address?: string;
  principal?: string;
  /** 200 when carried out; the HubError's status when refused; 0 when nothing was answered (a dropped send). */
  status?: number;
  error?: HubError;
  requestId?: string;
  requestBytes?: number;
  responseBytes?: number;
  fault?: string;
  /** `out`: the hub sent it (feedback). */
  direction?: 'out';
}

/** Emits the `request` events of the AMQP plane (what the traffic record, the dashboard and logs read). */
export class AmqpRequests {
  constructor(
    private readonly events: HubEvents,
    private readonly clock: HubClock,
  ) {}

  /** Starts timing an operation; `done` emits its event (only when someone listens). */
  start(): (outcome: AmqpOutcome) => void {
    if (this.events.listenerCount('request') === 0) return () => undefined;
    const started = performance.now();
    const at = this.clock.now();
    return (o) => {
      this.events.emit('request', {
        plane: 'amqp',
        operation: o.operation,
        ...(o.direction ? { direction: o.direction } : {}),
        ...(o.deviceId === undefined ? {} : { deviceId: o.deviceId }),
        ...(o.moduleId === undefined ? {} : { moduleId: o.moduleId }),
        ...(o.principal === undefined ? {} : { principal: o.principal }),
        ...(o.address === undefined ? {} : { topic: o.address }),
        status: o.status ?? (o.error ? o.error.status : 200),
        ...(o.error ? { errorCode: o.error.errorCode, message: o.error.message } : {}),
        ...(o.requestId === undefined ? {} : { requestId: o.requestId }),
        requestBytes: o.requestBytes ?? 0,
        responseBytes: o.responseBytes ?? 0,
        durationMs: performance.now() - started,
        at: formatTimestamp(at),
        ...(o.fault === undefined ? {} : { fault: o.fault }),
      });
    };
  }

  /** An operation over at once. */
  emit(outcome: AmqpOutcome): void {
    this.start()(outcome);
  }
}
