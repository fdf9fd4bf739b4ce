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
  type Clock,
  type Logger,
} from '@hubemu/shared';
import type { HubEvents } from '../events.js';
import type { MethodService } from '../methods/method-service.js';
import type { TelemetryMessage } from '../events.js';
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
  responseBytes: number;
  error?: HubError;
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
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Stamps the identity's last activity; `refresh` false when a twin write that follows refreshes its views anyway. */
    private readonly activity: (session: Session, refresh: boolean) => void,
  ) {}

  route(session: Session, packet: DevicePublish): void {
    const started = performance.now();
    const at = this.clock.now();
    const outcome = this.carryOut(session, packet);
    const { deviceId, moduleId } = session;
    const { error } = outcome;
    if (error) this.logger.debug({ deviceId, moduleId, rid: outcome.rid, code: error.errorCode }, error.message);
    // The event is built only for someone listening (the CLI's log, the dashboard): the device plane's hot path pays nothing otherwise.
    if (this.events.listenerCount('request') === 0) return;
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
      responseBytes: outcome.responseBytes,
      durationMs: performance.now() - started,
      at: formatTimestamp(at),
    });
  }

  private carryOut(session: Session, packet: DevicePublish): Outcome {
    const parsed = parseDeviceTopic(packet.topic);
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
        return { operation: 'method.response', status: parsed.status, rid: parsed.rid, responseBytes: 0 };
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
        };
        this.events.emit('telemetry', message);
        return { operation: 'telemetry', status: 200, responseBytes: 0 };
      }
      case 'invalid': {
        const error = new HubError('ArgumentInvalid', parsed.reason);
        if (parsed.rid === undefined) return { operation: 'invalid', status: error.status, responseBytes: 0, error };
        return { ...this.reply(session, parsed.rid, error.status, this.envelope(error)), operation: 'invalid', error };
      }
      case 'unknown': {
        const error = new HubError('ArgumentInvalid', `Unsupported topic '${packet.topic}'.`);
        return { operation: 'invalid', status: error.status, responseBytes: 0, error };
      }
    }
  }

  private answer(session: Session, operation: string, rid: string, handler: () => { status: number; body: string; version?: number }): Outcome {
    try {
      const result = handler();
      return { ...this.reply(session, rid, result.status, result.body, result.version), operation };
    } catch (thrown) {
      const error = toHubError(thrown);
      if (error.errorCode === 'ServerError') this.logger.error({ deviceId: session.deviceId, rid, err: error.info }, 'twin request failed');
      return { ...this.reply(session, rid, error.status, this.envelope(error)), operation, error };
    }
  }

  private reply(session: Session, rid: string, status: number, body: string, version?: number): { status: number; rid: string; responseBytes: number } {
    this.send(session, topics.twinResponse(status, rid, version), body);
    return { status, rid, responseBytes: Buffer.byteLength(body) };
  }

  private envelope(error: HubError): string {
    return JSON.stringify(toEnvelope2(error, newTrackingId(), new Date(this.clock.now())));
  }
}
