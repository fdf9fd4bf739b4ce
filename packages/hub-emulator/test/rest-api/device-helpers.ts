import { Client, ModuleClient, type DeviceMethodRequest, type DeviceMethodResponse } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { Hub } from '../../src/index.js';

export type MethodHandler = (payload: unknown) => { status: number; payload?: unknown } | 'never';

/** Opens Microsoft's device (or module) client against the hub over MQTT/TLS. */
export async function openDevice(hub: Hub, deviceId: string, moduleId?: string): Promise<Client | ModuleClient> {
  const cs = hub.deviceConnectionString(deviceId, moduleId === undefined ? {} : { moduleId });
  const client = moduleId === undefined ? Client.fromConnectionString(cs, Mqtt) : ModuleClient.fromConnectionString(cs, Mqtt);
  await client.setOptions({ ca: hub.caPem } as never);
  await client.open();
  return client;
}

/** Answers `methodName` with `handler`; `'never'` leaves the call unanswered (to provoke a timeout). */
export function answerMethod(client: Client | ModuleClient, methodName: string, handler: MethodHandler): void {
  const callback = (request?: DeviceMethodRequest, response?: DeviceMethodResponse): void => {
    if (!request || !response) return;
    const answer = handler(request.payload);
    if (answer === 'never') return;
    response.send(answer.status, answer.payload, () => {});
  };
  if (client instanceof ModuleClient) client.onMethod(methodName, callback);
  else client.onDeviceMethod(methodName, callback);
}
