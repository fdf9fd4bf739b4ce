import { HubError, identityKey, LIMITS, methodPayloadText, nestsDeeperThan, tryParseJson, type HubClock, type MethodRequest, type Timer } from '@hubemu/shared';
import type { DeviceLinks } from '../device-link.js';
import type { HubEvents } from '../events.js';
import type { DeviceTable } from '../registry/device-table.js';

export interface MethodResult {
  status: number;
  payload: unknown;
}

interface Pending {
  resolve: (result: MethodResult) => void;
  reject: (error: HubError) => void;
  timer: Timer;
}

/** Direct methods (reference 4.4): waits for the device to be online and subscribed, sends, awaits the answer. */
export class MethodService {
  private readonly pending = new Map<string, Pending>();
  private nextRid = 1;
  /** Where answers to calls this process did not make go (another process of a cluster made them: docs/scale-out.md). */
  private others: ((key: string, rid: string, status: number, body: Buffer) => void) | undefined;

  constructor(
    private readonly table: DeviceTable,
    private readonly links: DeviceLinks,
    private readonly events: HubEvents,
    private readonly clock: HubClock,
  ) {}

  /** Calls a method on a device or module; the request was parsed at its edge (parseMethodRequest). */
  async invoke(deviceId: string, moduleId: string | undefined, request: MethodRequest): Promise<MethodResult> {
    const key = identityKey(deviceId, moduleId);
    if (!this.table.get(deviceId)) throw new HubError('DeviceNotFound', deviceId);
    if (!this.table.get(key)) throw new HubError('ModuleNotFound', key);
    const payloadText = methodPayloadText(request);
    const connectMs = (request.connectTimeoutInSeconds ?? 0) * 1000;
    const link = await this.links.waitFor(key, 'methodRequests', connectMs);
    if (!link) {
      const reason = this.links.isConnected(key) ? 'Timed out waiting for device to subscribe.' : 'Timed out waiting for device to connect.';
      throw new HubError('DeviceNotOnline', reason);
    }
    const rid = (this.nextRid++).toString(16);
    const started = this.clock.now();
    const responseMs = (request.responseTimeoutInSeconds ?? 30) * 1000;
    const result = await new Promise<MethodResult>((resolve, reject) => {
      const pendingKey = `${key}\u0000${rid}`;
      const timer = this.clock.after(responseMs, () => {
        this.pending.delete(pendingKey);
        reject(new HubError('GatewayTimeout', `Timed out waiting for the response from device (${responseMs / 1000} s).`));
      });
      this.pending.set(pendingKey, { resolve, reject, timer });
      try {
        link.deliverMethod(key, { methodName: request.methodName, rid, payload: payloadText });
      } catch (error) {
        // The plane refused the delivery (an injected fault): the call fails with its error.
        this.pending.delete(pendingKey);
        timer.cancel();
        reject(error);
      }
    });
    this.events.emit('methodInvoked', {
      deviceId,
      ...(moduleId === undefined ? {} : { moduleId }),
      methodName: request.methodName,
      status: result.status,
      durationMs: this.clock.now() - started,
    });
    return result;
  }

  /**
   * A device's answer on `$iothub/methods/res/{status}/?$rid=`. Unknown or late rids are ignored. A body
   * that is not JSON, or JSON nested deeper than a request may be (64 levels), is passed on as its
   * text: every later reader (the REST answer, job rows, queries, the durable log) serialises it again
   * and must not run off the stack.
   */
  onResponse(key: string, rid: string, status: number, body: Buffer): void {
    const pendingKey = `${key}\u0000${rid}`;
    const pending = this.pending.get(pendingKey);
    if (!pending) return this.others?.(key, rid, status, body);
    this.pending.delete(pendingKey);
    pending.timer.cancel();
    const text = body.toString('utf8');
    let payload: unknown = null;
    if (text.trim() !== '') {
      const json = tryParseJson(text);
      payload = json.ok && !nestsDeeperThan(json.value, LIMITS.methodPayloadDepth) ? json.value : text;
    }
    pending.resolve({ status, payload });
  }

  /** Passes the answers to calls this process did not make to `handler` (the cluster link). */
  forwardOthers(handler: (key: string, rid: string, status: number, body: Buffer) => void): void {
    this.others = handler;
  }

  /** Fails one call with the error the process holding the device's connection reported. */
  fail(key: string, rid: string, error: HubError): void {
    const pendingKey = `${key}\u0000${rid}`;
    const pending = this.pending.get(pendingKey);
    if (!pending) return;
    this.pending.delete(pendingKey);
    pending.timer.cancel();
    pending.reject(error);
  }

  /** Fails the calls waiting on a connection that went away. */
  onDisconnect(key: string): void {
    for (const [pendingKey, pending] of this.pending) {
      if (!pendingKey.startsWith(`${key}\u0000`)) continue;
      this.pending.delete(pendingKey);
      pending.timer.cancel();
      pending.reject(new HubError('DeviceConnectionClosedRemotely', 'The device disconnected before it answered the method call.'));
    }
  }

  /** Fails every pending call (hub stop or reset). */
  cancelAll(): void {
    for (const [pendingKey, pending] of this.pending) {
      this.pending.delete(pendingKey);
      pending.timer.cancel();
      pending.reject(new HubError('ServiceUnavailable', 'The hub stopped.'));
    }
  }
}
