import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { parseConnectionString, signSasToken, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import type { Hub } from '../src/index.js';

export interface RawDevice {
  client: MqttClient;
  /** Publishes and resolves with the first message on `$iothub/twin/res/...` carrying this `$rid`. */
  request(topic: string, payload: string, rid: string): Promise<{ topic: string; body: string }>;
  messages: Array<{ topic: string; body: string }>;
  close(): Promise<void>;
}

/** A device speaking raw MQTT over TLS to the hub, as any SDK would, with nothing hidden. */
export async function connectRaw(
  hub: Hub,
  deviceId: string,
  options: { moduleId?: string; subscribe?: string[]; tokenSeconds?: number; qos?: 0 | 1; mqtt?: Partial<IClientOptions> } = {},
): Promise<RawDevice> {
  const cs = parseConnectionString(hub.deviceConnectionString(deviceId, options.moduleId ? { moduleId: options.moduleId } : {}));
  const clientId = options.moduleId ? `${deviceId}/${options.moduleId}` : deviceId;
  const sr = options.moduleId ? `${cs.HostName}/devices/${deviceId}/modules/${options.moduleId}` : `${cs.HostName}/devices/${deviceId}`;
  const client = await mqtt.connectAsync(`mqtts://localhost:${hub.ports.mqtt}`, {
    ca: hub.caPem,
    clientId,
    username: `${cs.HostName}/${clientId}/?api-version=2021-04-12`,
    password: signSasToken(sr, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + (options.tokenSeconds ?? 3600)),
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
    ...options.mqtt,
  });
  const messages: Array<{ topic: string; body: string }> = [];
  const waiters = new Map<string, (m: { topic: string; body: string }) => void>();
  client.on('message', (topic, payload) => {
    const message = { topic, body: payload.toString('utf8') };
    messages.push(message);
    const rid = /[?&]\$rid=([^&]*)/.exec(topic)?.[1];
    if (rid !== undefined) waiters.get(decodeURIComponent(rid))?.(message);
  });
  const filters = options.subscribe ?? [TWIN_RESPONSE_FILTER];
  if (filters.length > 0) await client.subscribeAsync(filters, { qos: options.qos ?? 0 });
  return {
    client,
    messages,
    request(topic, payload, rid) {
      return new Promise((resolve) => {
        waiters.set(rid, (m) => {
          waiters.delete(rid);
          resolve(m);
        });
        client.publish(topic, payload, { qos: 0 });
      });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}

/** Resolves when the broker (or the client) closed the connection. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}
