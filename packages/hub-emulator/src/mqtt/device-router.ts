import {
  formatTimestamp,
  HubError,
  identityKey,
  newTrackingId,
  parseDeviceTopic,
  splitTelemetryProperties,
  toEnvelope2,
  toHubError,
  topics,
  tryParseJson,
  type HubClock,
  type Logger,
} from '@hubemu/shared';
import type { HubEvents } from '../events.js';
import type { Admission, Verdict } from '../faults/admission.js';
import type { MethodService } from '../methods/method-service.js';
import type { TelemetryMessage } from '../events.js';
import type { Units } from '../store/collection.js';
import type { TwinService } from '../twin/twin-service.js';
import type { Session } from './device-sessions.js';

export interface DevicePublish {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** Sends one packet to one session, on a `$iothub/...` topic. */
export type SendToSession = (session: Session, topic: string, payload: string | Buffer) => void;

/** What one routed publish came to, for the `request` event. */
interface Outcome {
  operation: string;
  status: number;
  rid?: string;
  /** What was answered (its size is counted only for the event); undefined when nothing was. */
  response?: string;
  error?: HubError;
  /** The injected fault that acted on it. */
  fault?: string;
}

type ParsedTopic = ReturnType<typeof parseDeviceTopic>;

/** What a twin request is answered with. */
interface Answer {
  status: number;
  body: string;
  version?: number;
}

/**
 * Routes what a device published (reference 1.4, 1.6, 1.7): twin GET, reported PATCH, method responses
 * and telemetry. Errors go back on `$iothub/twin/res/{status}` with `errorCode` in the body; the
 * connection stays up. Every publish becomes one `request` event.
 */
export class DeviceRouter {
  constructor(
    private readonly twins: TwinService,
    private readonly methods: MethodService,
    private readonly events: HubEvents,
    private readonly send: SendToSession,
    private readonly clock: HubClock,
    private readonly logger: Logger,
    /** Stamps the identity's last activity; `refresh` false when a twin write that follows refreshes its views anyway. */
    private readonly activity: (session: Session, refresh: boolean) => void,
    /** The admission seam (faults, throttles), asked for twin requests and telemetry. */
    private readonly admission: Pick<Admission, 'idle' | 'admit'>,
    /** Twin requests run as units of the store; on a shared store a twin GET first waits for what other processes acknowledged. */
    private readonly units: Units,
    /** Hands a device-to-cloud message to the hub (`HubCore.acceptTelemetry`): a promise on a hub of several processes. */
    private readonly acceptTelemetry: (message: TelemetryMessage) => void | Promise<void>,
  ) {}

  /** Carries out one publish; returns a promise when the admission seam delays it (the caller keeps the session's order). */
  route(session: Session, packet: DevicePublish): void | Promise<void> {
    // The event is built only for someone listening (the CLI's log, the dashboard, the traffic record): unobserved, the hot path pays nothing for it.
    const observed = this.events.listenerCount('request') > 0;
    const started = observed ? performance.now() : 0;
    const at = observed ? this.clock.now() : 0;
    const parsed = parseDeviceTopic(packet.topic);
    const operation = parsed.kind === 'twinGet' ? 'twin.get' : parsed.kind === 'twinPatchReported' ? 'twin.patchReported' : parsed.kind === 'telemetry' ? 'telemetry' : undefined;
    const { deviceId, moduleId } = session;
    const verdict = operation === undefined || this.admission.idle ? undefined : this.admission.admit({ operation, deviceId, ...(moduleId === undefined ? {} : { moduleId }), bytes: packet.payload.length });
    if (verdict?.act === 'delay') {
      return this.clock.sleep(verdict.ms).then(async () => {
        // A connection that closed while its request waited has nobody to answer: nothing is carried out.
        if (session.client.closed) return;
        this.finish(session, packet, observed && { started, at }, await this.carryOut(session, packet, parsed), verdict.faultId);
      });
    }
    const outcome = verdict ? this.refuse(session, operation as string, parsed, verdict) : this.carryOut(session, packet, parsed);
    if (outcome instanceof Promise) return outcome.then((o) => this.finish(session, packet, observed && { started, at }, o, verdict?.faultId));
    this.finish(session, packet, observed && { started, at }, outcome, verdict?.faultId);
  }

  /**
   * An operation the admission seam answered instead of the service: failed, dropped or cut off. A
   * telemetry publish has no answer to fail with (MQTT 3.1.1 has no negative PUBACK): like the real
   * hub, a failed or throttled one closes the connection before it is acknowledged, so the device's SDK
   * reconnects and sends it again; a dropped one is acknowledged and lost.
   */
  private refuse(session: Session, operation: string, parsed: ParsedTopic, verdict: Verdict): Outcome {
    const rid = 'rid' in parsed && typeof parsed.rid === 'string' ? parsed.rid : '';
    const fault = verdict.faultId === undefined ? {} : { fault: verdict.faultId };
    if (operation === 'telemetry') {
      if (verdict.act === 'fail' || verdict.act === 'disconnect') session.client.close();
      return verdict.act === 'fail' ? { operation, status: verdict.error.status, error: verdict.error, ...fault } : { operation, status: 0, ...fault };
    }
    if (verdict.act === 'fail') return { ...this.reply(session, operation, rid, verdict.error.status, this.envelope(verdict.error)), error: verdict.error, ...fault };
    if (verdict.act === 'disconnect') session.client.close();
    return { operation, status: 0, rid, ...fault };
  }

  /** Logs a refused request and, when someone listens (`observed` holds when it started), emits its `request` event. */
  private finish(session: Session, packet: DevicePublish, observed: false | { started: number; at: number }, outcome: Outcome, fault: string | undefined): void {
    const { deviceId, moduleId } = session;
    const { error } = outcome;
    if (error) this.logger.debug({ deviceId, moduleId, rid: outcome.rid, code: error.errorCode }, error.message);
    if (!observed) return;
    const { started, at } = observed;
    this.events.emit('request', {
      plane: 'mqtt',
      deviceId,
      ...(moduleId === undefined ? {} : { moduleId }),
      principal: session.key,
      operation: outcome.operation,
      topic: packet.topic,
      payload: packet.payload.toString('utf8'),
      status: outcome.status,
      ...(error ? { errorCode: error.errorCode, message: error.message } : {}),
      ...(outcome.rid === undefined ? {} : { requestId: outcome.rid }),
      requestBytes: packet.payload.length,
      responseBytes: outcome.response === undefined ? 0 : Buffer.byteLength(outcome.response),
      durationMs: performance.now() - started,
      at: formatTimestamp(at),
      ...(fault === undefined ? {} : { fault }),
    });
  }

  private carryOut(session: Session, packet: DevicePublish, parsed: ParsedTopic): Outcome | Promise<Outcome> {
    const { deviceId, moduleId } = session;
    // A reported patch rewrites the twin, which drops its cached views once; nothing else does.
    this.activity(session, parsed.kind !== 'twinPatchReported');
    switch (parsed.kind) {
      case 'twinGet':
        return this.answer(session, 'twin.get', parsed.rid, () => ({ status: 200, body: JSON.stringify(this.twins.deviceTwin(deviceId, moduleId)) }));
      case 'twinPatchReported':
        return this.answer(session, 'twin.patchReported', parsed.rid, () => {
          try {
            const json = tryParseJson(packet.payload.toString('utf8'));
            if (!json.ok) throw new HubError('ArgumentInvalid', `The reported-properties patch is not valid JSON: ${json.error}`);
            const version = this.twins.reportFromDevice(deviceId, moduleId, json.value, parsed.version);
            return { status: 204, body: '', version };
          } catch (error) {
            this.activity(session, true);
            throw error;
          }
        });
      case 'methodResponse':
        this.methods.onResponse(identityKey(deviceId, moduleId), parsed.rid, parsed.status, packet.payload);
        return { operation: 'method.response', status: parsed.status, rid: parsed.rid };
      case 'telemetry': {
        const { properties, systemProperties } = splitTelemetryProperties(parsed.properties);
        if (packet.retain) properties['mqtt-retain'] = 'true';
        const message: TelemetryMessage = {
          deviceId,
          ...(moduleId === undefined ? {} : { moduleId }),
          properties,
          systemProperties,
          body: packet.payload,
          receivedAt: formatTimestamp(this.clock.now()),
          auth: session.stamp.auth,
          generationId: session.stamp.generationId,
          ...(session.stamp.modelId === undefined ? {} : { modelId: session.stamp.modelId }),
        };
        const accepted = this.acceptTelemetry(message);
        const outcome: Outcome = { operation: 'telemetry', status: 200 };
        if (!(accepted instanceof Promise)) return outcome;
        // The PUBACK waits until the log the hub's processes share holds the message; one it could not
        // store closes the connection unacknowledged, so the device's SDK sends it again.
        return accepted.then(
          () => outcome,
          (thrown: unknown) => {
            const error = toHubError(thrown);
            session.client.close();
            return { operation: 'telemetry', status: error.status, error };
          },
        );
      }
      case 'invalid': {
        const error = new HubError('ArgumentInvalid', parsed.reason);
        if (parsed.rid === undefined) return { operation: 'invalid', status: error.status, error };
        return { ...this.reply(session, 'invalid', parsed.rid, error.status, this.envelope(error)), error };
      }
      case 'unknown': {
        const error = new HubError('ArgumentInvalid', `Unsupported topic '${packet.topic}'.`);
        return { operation: 'invalid', status: error.status, error };
      }
    }
  }

  private answer(session: Session, operation: string, rid: string, handler: () => Answer): Outcome | Promise<Outcome> {
    const answered = (result: Answer): Outcome => this.reply(session, operation, rid, result.status, result.body, result.version);
    const failed = (thrown: unknown): Outcome => {
      const error = toHubError(thrown);
      if (error.errorCode === 'ServerError') this.logger.error({ deviceId: session.deviceId, rid, err: error.info }, 'twin request failed');
      return { ...this.reply(session, operation, rid, error.status, this.envelope(error)), error };
    };
    if (this.units.replicated) {
      // A read sees what was acknowledged anywhere before it; a write is answered once committed (docs/scale-out.md).
      const fenced = operation === 'twin.get' ? this.units.fence() : undefined;
      return Promise.resolve(fenced)
        .then(() => this.units.transaction(handler))
        .then(answered, failed);
    }
    try {
      return answered(handler());
    } catch (thrown) {
      return failed(thrown);
    }
  }

  /** Answers on `$iothub/twin/res/{status}/?$rid=`; the outcome of a request answered without an error. */
  private reply(session: Session, operation: string, rid: string, status: number, body: string, version?: number): Outcome {
    this.send(session, topics.twinResponse(status, rid, version), body);
    return { operation, status, rid, response: body };
  }

  private envelope(error: HubError): string {
    return JSON.stringify(toEnvelope2(error, newTrackingId(), new Date(this.clock.now())));
  }
}
