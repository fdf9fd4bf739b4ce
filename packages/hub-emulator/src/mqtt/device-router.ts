import {
  formatTimestamp,
  HubError,
  identityKey,
  parseDeviceTopic,
  splitTelemetryProperties,
  toEnvelope2,
  toHubError,
  topics,
  tryParseJson,
  type Clock,
} from '@hubemu/shared';
import type { HubEvents } from '../events.js';
import type { Logger } from '../logger.js';
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

let tracking = 0;
function trackingId(): string {
  tracking = (tracking + 1) % 0xffffffff;
  return `${tracking.toString(16).padStart(8, '0')}${Date.now().toString(16)}`;
}

/**
 * Routes what a device published (reference 1.4, 1.6, 1.7): twin GET, reported PATCH, method responses
 * and telemetry. Errors go back on `$iothub/twin/res/{status}` with `errorCode` in the body; the
 * connection stays up.
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
    const parsed = parseDeviceTopic(packet.topic);
    const { deviceId, moduleId } = session;
    // A reported patch rewrites the twin, which drops its cached views once; nothing else does.
    this.activity(session, parsed.kind !== 'twinPatchReported');
    switch (parsed.kind) {
      case 'twinGet':
        this.answer(session, parsed.rid, () => {
          const body = JSON.stringify(this.twins.deviceTwin(deviceId, moduleId));
          return { status: 200, body };
        });
        return;
      case 'twinPatchReported':
        this.answer(session, parsed.rid, () => {
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
        return;
      case 'methodResponse':
        this.methods.onResponse(identityKey(deviceId, moduleId), parsed.rid, parsed.status, packet.payload);
        return;
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
        return;
      }
      case 'invalid': {
        const error = new HubError('ArgumentInvalid', parsed.reason);
        this.reject(session, error);
        if (parsed.rid !== undefined) this.reply(session, parsed.rid, error.status, JSON.stringify(this.envelope(error)));
        return;
      }
      case 'unknown':
        this.reject(session, new HubError('ArgumentInvalid', `Unsupported topic '${packet.topic}'.`));
        return;
    }
  }

  private answer(session: Session, rid: string, handler: () => { status: number; body: string; version?: number }): void {
    let result: { status: number; body: string; version?: number };
    try {
      result = handler();
    } catch (thrown) {
      const error = toHubError(thrown);
      if (error.errorCode === 'ServerError') this.logger.error({ deviceId: session.deviceId, rid, err: error.info }, 'twin request failed');
      this.reject(session, error, rid);
      this.reply(session, rid, error.status, JSON.stringify(this.envelope(error)));
      return;
    }
    this.reply(session, rid, result.status, result.body, result.version);
  }

  private reply(session: Session, rid: string, status: number, body: string, version?: number): void {
    this.send(session, topics.twinResponse(status, rid, version), body);
  }

  private envelope(error: HubError): object {
    return toEnvelope2(error, trackingId(), new Date(this.clock.now()));
  }

  private reject(session: Session, error: HubError, rid?: string): void {
    this.logger.debug({ deviceId: session.deviceId, moduleId: session.moduleId, rid, code: error.errorCode }, error.message);
    this.events.emit('requestRejected', {
      deviceId: session.deviceId,
      ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }),
      plane: 'mqtt',
      code: error.errorCode,
      message: error.message,
    });
  }
}
