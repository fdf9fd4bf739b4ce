import { EventEmitter } from 'node:events';
import type { JsonObject, Twin } from '@hubemu/shared';
import type { StoreNotice } from './store/store-notice.js';

/** Who wrote a twin change. */
export type WriteSource = 'service' | 'device' | 'job' | 'configuration' | 'seed';

export interface IdentityRef {
  deviceId: string;
  moduleId?: string;
}

export interface TwinUpdatedEvent extends IdentityRef {
  source: WriteSource;
  /** Desired change as delivered to the device (without `$version`); absent when desired did not change. */
  desired?: JsonObject;
  desiredVersion: number;
  /** Reported patch as the device sent it; absent when reported did not change. */
  reported?: JsonObject;
  reportedVersion: number;
  tagsChanged: boolean;
}

export interface TelemetryMessage extends IdentityRef {
  /** Application properties from the topic's property bag (plus `mqtt-retain` for a retained PUBLISH). */
  properties: Record<string, string | null>;
  /** System properties from the bag (`$.ct` as `contentType`, `$.mid` as `messageId`, ...). */
  systemProperties: Record<string, string | null>;
  body: Buffer;
  receivedAt: string;
}

export interface MqttTrafficRecord extends IdentityRef {
  direction: 'in' | 'out';
  topic: string;
  payload: string;
  at: string;
}

/** Every event the hub emits. Libraries emit; hosts decide what to log. */
export interface HubEventMap {
  identityCreated: [IdentityRef];
  identityUpdated: [IdentityRef];
  identityDeleted: [IdentityRef];
  deviceConnected: [IdentityRef & { transport: string }];
  deviceDisconnected: [IdentityRef & { reason: string }];
  twinUpdated: [TwinUpdatedEvent];
  telemetry: [TelemetryMessage];
  methodInvoked: [IdentityRef & { methodName: string; status: number; durationMs: number }];
  /** Every MQTT packet to or from a device, as `hub.traffic()` records it (emitted only while someone listens). */
  mqttTraffic: [MqttTrafficRecord];
  /** A request the hub refused (bad payload, bad topic, failed auth), for debugging. */
  requestRejected: [Partial<IdentityRef> & { plane: 'mqtt' | 'http'; code: string; message: string }];
  /** The durable store cut a torn line, moved bad records aside, failed to compact, refused or resumed writes, or lost its log. */
  storeNotice: [StoreNotice];
}

/** A typed EventEmitter over HubEventMap. */
export class HubEvents extends EventEmitter<HubEventMap> {
  constructor() {
    super();
    this.setMaxListeners(0);
  }
}

/** Used by services to look at a twin without importing the rendering details. */
export type TwinLookup = (deviceId: string, moduleId?: string) => Twin | undefined;
