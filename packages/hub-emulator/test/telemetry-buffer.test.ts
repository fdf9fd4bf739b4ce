import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../src/index.js';
import { connectRaw, type RawDevice } from './raw-device.js';

const MAX_BYTES = 1024 * 1024;
const MESSAGE_BYTES = 200 * 1024;

let hub: Hub;
let device: RawDevice;
beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, telemetryBufferBytes: MAX_BYTES, trafficBufferBytes: MAX_BYTES });
  hub.createDevice('big-sender');
  device = await connectRaw(hub, 'big-sender');
});
afterAll(async () => {
  await device.close();
  await hub.stop();
});

describe('buffers of device data are bounded in bytes', () => {
  it('keeps telemetry and recorded traffic under their byte bounds while a device sends large messages, newest kept', async () => {
    const count = 20; // 4 MB sent, four times the bound
    for (let i = 0; i < count; i++) {
      const body = Buffer.alloc(MESSAGE_BYTES, 0x61 + (i % 26));
      await device.client.publishAsync(`devices/big-sender/messages/events/seq=${i}`, body, { qos: 1 });
    }
    await expect.poll(() => hub.telemetry({ deviceId: 'big-sender' }).at(-1)?.properties.seq, { timeout: 10_000 }).toBe(String(count - 1));

    const kept = hub.telemetry({ deviceId: 'big-sender' });
    const keptBytes = kept.reduce((sum, m) => sum + m.body.length, 0);
    expect(keptBytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(kept.length).toBe(5); // five 200 KB messages and their properties fit in 1 MB, a sixth does not
    expect(kept.map((m) => m.properties.seq)).toEqual(['15', '16', '17', '18', '19']);

    const traffic = hub.traffic({ deviceId: 'big-sender', operation: 'telemetry' });
    expect(traffic.reduce((sum, r) => sum + Buffer.byteLength(r.payload ?? '') + Buffer.byteLength(r.topic ?? ''), 0)).toBeLessThanOrEqual(MAX_BYTES);
    expect(hub.trafficDropped()).toBeGreaterThan(0);
    expect(traffic.at(-1)?.topic).toBe(`devices/big-sender/messages/events/seq=${count - 1}`);
  });
});
