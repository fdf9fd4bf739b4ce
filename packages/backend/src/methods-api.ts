import { expectBody, MethodResultSchema, type MethodResult } from './responses.js';
import { pathOf, type RestClient } from './rest-client.js';

export interface MethodCall {
  methodName: string;
  payload?: unknown;
  /** How long the hub waits for the device's answer: 5 to 300 seconds (30 by default). */
  responseTimeoutInSeconds?: number;
  /** How long the hub waits for the device to come online: 0 (default, must be online) to 300 seconds. */
  connectTimeoutInSeconds?: number;
}

/** Direct methods: `POST /twins/{id}[/modules/{mid}]/methods`. */
export class MethodsApi {
  constructor(private readonly rest: RestClient) {}

  /**
   * Invokes a method and resolves with the device's `{status, payload}` (whatever status the device
   * chose). Offline: ServiceError 404 DeviceNotOnline (404103); no answer in time: 504 GatewayTimeout (504101).
   */
  async invoke(deviceId: string, call: MethodCall, options: { moduleId?: string } = {}): Promise<MethodResult> {
    const response = call.responseTimeoutInSeconds ?? 30;
    const connect = call.connectTimeoutInSeconds ?? 0;
    const path = options.moduleId === undefined ? pathOf('twins', deviceId, 'methods') : pathOf('twins', deviceId, 'modules', options.moduleId, 'methods');
    const answer = await this.rest.request({
      method: 'POST',
      path,
      body: { methodName: call.methodName, payload: call.payload ?? null, responseTimeoutInSeconds: response, connectTimeoutInSeconds: connect },
      // The hub answers by then; the margin covers the round trip.
      timeoutMs: (response + connect) * 1000 + 10_000,
    });
    return expectBody(MethodResultSchema, answer, 'invoke method');
  }
}
