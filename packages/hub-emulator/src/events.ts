import { EventEmitter } from 'node:events';
import type { FaultAction, FaultOperation, JsonObject, Twin } from '@hubemu/shared';
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
  /** The tags as written: a patch's values (null removes one), a replacement, or null when all were cleared. */
  tags?: JsonObject | null;
  /** True when the write replaced the twin (`PUT`) rather than patched it. */
  replaced?: boolean;
  /** True when another process of the hub made the write (docs/scale-out.md); this one raises the event so its devices and dashboards hear of it. */
  remote?: boolean;
}

/**
 * How a sender proved who it is, as the hub stamps it in `iothub-connection-auth-method`
 * (iothub-messaging.md §8): `scope` is whose key signed (the identity's own, or a hub policy's), `type`
 * `sas` for a SAS token, `x509` for a certificate, `symkey` for a key presented directly.
 */
export interface ConnectionAuth {
  scope: 'device' | 'module' | 'hub';
  type: 'sas' | 'symkey' | 'x509';
}

export interface TelemetryMessage extends IdentityRef {
  /** Application properties from the topic's property bag (plus `mqtt-retain` for a retained PUBLISH). */
  properties: Record<string, string | null>;
  /** System properties from the bag (`$.ct` as `contentType`, `$.mid` as `messageId`, `$.sub` as `componentName`, ...). */
  systemProperties: Record<string, string | null>;
  body: Buffer;
  receivedAt: string;
  /** How the sender authenticated (`iothub-connection-auth-method`); a SAS token with the identity's own key when absent. */
  auth?: ConnectionAuth;
  /** The sender's `generationId` (`iothub-connection-auth-generation-id`); the registry's when absent. */
  generationId?: string;
  /** The model id the sender announced when it connected (`dt-dataschema`); the registry's when absent. */
  modelId?: string;
}

/** The planes a request can come in on. */
export type Plane = 'mqtt' | 'http' | 'amqp';

/**
 * One request on one plane, whatever its outcome: the one record that logs, the traffic record and the
 * dashboard read. Device-plane operations are `connect`, `twin.get`, `twin.patchReported`,
 * `method.response`, `telemetry` and `invalid`, and what the hub pushes (`direction: 'out'`):
 * `twin.desiredNotification`, `method.request` and `c2d.deliver` (a C2D message at QoS 1). REST operations,
 * the device HTTPS API's included, are the method and route pattern (`PATCH /twins/:deviceId`). AMQP
 * operations are `cbs.putToken`, `link.attach` (refused ones carry the error), `c2d.send`,
 * `feedback.send` (out), `feedback.complete|abandon|reject`, `eventhub.read` and `eventhub.redirect`,
 * with the link address (or CBS audience) in `topic`.
 */
export interface RequestEvent extends Partial<IdentityRef> {
  plane: Plane;
  operation: string;
  /** `out` when the hub pushed it to a device; absent (`in`) when a client asked. */
  direction?: 'out';
  /** The MQTT topic as published (device planes), or the AMQP link address (AMQP plane). */
  topic?: string;
  /** The MQTT payload as UTF-8 (device planes). */
  payload?: string;
  /** Who asked: the identity key on a device plane, the policy name on REST; absent when authentication failed. */
  principal?: string;
  /** HTTP-style status (a CONNECT is 200 or 401). */
  status: number;
  /** The IoT Hub error code and message, when status is 400 or more. */
  errorCode?: string;
  message?: string;
  /** `$rid` on MQTT, `x-ms-client-request-id` on REST, when the client sent one. */
  requestId?: string;
  requestBytes: number;
  responseBytes: number;
  durationMs: number;
  /** When the request arrived, by the hub's clock. */
  at: string;
  /** The id of the injected fault that acted on this request (failed, delayed, dropped it ...); `status` 0 when no answer was sent. */
  fault?: string;
}

/** An injected fault acted on one operation (docs/testing-with-hubemu.md, "Faults"). */
export interface FaultAppliedEvent extends Partial<IdentityRef> {
  faultId: string;
  action: FaultAction;
  operation: FaultOperation;
  route?: string;
  at: string;
}

/** Every event the hub emits. Libraries emit; hosts decide what to log. */
export interface HubEventMap {
  identityCreated: [IdentityRef];
  identityUpdated: [IdentityRef];
  /** `twin` is the identity's twin as it was just before it was deleted. */
  identityDeleted: [IdentityRef & { twin?: Twin }];
  deviceConnected: [IdentityRef & { transport: string }];
  deviceDisconnected: [IdentityRef & { reason: string }];
  twinUpdated: [TwinUpdatedEvent];
  telemetry: [TelemetryMessage];
  methodInvoked: [IdentityRef & { methodName: string; status: number; durationMs: number }];
  /** Every request on every plane, with its outcome (refused ones carry `errorCode` and `message`). */
  request: [RequestEvent];
  /** An injected fault acted on an operation. */
  faultApplied: [FaultAppliedEvent];
  /** The durable store cut a torn line, moved bad records aside, failed to compact, refused or resumed writes, or lost its log. */
  storeNotice: [StoreNotice];
}

/** A typed EventEmitter over HubEventMap. */
export class HubEvents extends EventEmitter<HubEventMap> {
  private gate: ((name: keyof HubEventMap, args: unknown[], deliver: () => void) => void) | undefined;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  /**
   * Lets a store shared with other processes see each event before its listeners do, and hold one
   * raised inside a unit until the unit commits (docs/scale-out.md): a unit run again must not tell
   * its listeners twice, nor about a write that never happened.
   */
  holdWith(gate: (name: keyof HubEventMap, args: unknown[], deliver: () => void) => void): void {
    this.gate = gate;
  }

  override emit<K extends keyof HubEventMap>(eventName: K, ...args: HubEventMap[K]): boolean {
    const gate = this.gate;
    if (!gate) return baseEmit.call(this, eventName, ...args);
    gate(eventName, args, () => void baseEmit.call(this, eventName, ...args));
    return this.listenerCount(eventName as never) > 0;
  }
}

const baseEmit = EventEmitter.prototype.emit as (this: EventEmitter, name: string, ...args: unknown[]) => boolean;

/** Used by services to look at a twin without importing the rendering details. */
export type TwinLookup = (deviceId: string, moduleId?: string) => Twin | undefined;
