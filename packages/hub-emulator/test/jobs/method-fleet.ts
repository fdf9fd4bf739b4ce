import { METHOD_REQUEST_FILTER, topics } from '@hubemu/shared';
import type { Hub } from '../../src/index.js';
import { connectRaw, type RawDevice } from '../raw-device.js';

export interface MethodFleet {
  /** Method requests received so far, all devices together. */
  readonly received: number;
  /** Answers every request held so far (and, from now on, answers at once). */
  open(): void;
  close(): Promise<void>;
}

/**
 * Raw MQTT devices subscribed to direct methods. Each answers `200 {"deviceId": ...}`; with `held`,
 * requests wait until `open()` (a gate the test controls, instead of timing).
 */
export async function methodFleet(hub: Hub, deviceIds: readonly string[], options: { held?: boolean } = {}): Promise<MethodFleet> {
  let held = options.held === true;
  let received = 0;
  const waiting: Array<() => void> = [];
  const devices: RawDevice[] = [];
  const batch = 50;
  for (let i = 0; i < deviceIds.length; i += batch) {
    devices.push(...(await Promise.all(deviceIds.slice(i, i + batch).map((id) => connectRaw(hub, id, { subscribe: [METHOD_REQUEST_FILTER] })))));
  }
  devices.forEach((device, index) => {
    const deviceId = deviceIds[index] as string;
    device.client.on('message', (topic, payload) => {
      const rid = /\$rid=([^&]*)/.exec(topic)?.[1];
      if (!topic.startsWith('$iothub/methods/POST/') || rid === undefined) return;
      received += 1;
      const answer = (): void => {
        device.client.publish(topics.methodResponse(200, decodeURIComponent(rid)), JSON.stringify({ deviceId, got: JSON.parse(payload.toString() || 'null') as unknown }));
      };
      if (held) waiting.push(answer);
      else answer();
    });
  });
  return {
    get received() {
      return received;
    },
    open() {
      held = false;
      for (const answer of waiting.splice(0)) answer();
    },
    async close() {
      await Promise.all(devices.map((d) => d.close()));
    },
  };
}
