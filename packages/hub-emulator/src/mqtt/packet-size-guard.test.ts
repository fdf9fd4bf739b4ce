import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketSizeGuard } from './packet-size-guard.js';

const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'd1', clean: true, keepalive: 60 });
const publish = (bytes: number): Buffer => mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes), qos: 0, retain: false, dup: false });
const limits = (connectLimit: number, otherLimit: number) => new PacketSizeGuard((type) => (type === 'connect' ? connectLimit : otherLimit));

describe('PacketSizeGuard', () => {
  it('lets packets within their limits through, however the stream is cut into chunks', () => {
    const stream = Buffer.concat([connect, publish(100), mqttPacket.generate({ cmd: 'pingreq' }), publish(1000)]);
    for (const size of [1, 2, 7, stream.length]) {
      const guard = limits(100, 1100);
      for (let i = 0; i < stream.length; i += size) expect(guard.check(stream.subarray(i, i + size))).toBeUndefined();
    }
  });

  it('refuses a CONNECT over its limit from the fixed header alone', () => {
    // 0x10 = CONNECT; 0xff 0xff 0xff 0x7f = 268,435,455 bytes, nothing after.
    expect(limits(16 * 1024, 1 << 20).check(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]))).toMatchObject({ type: 'connect', limit: 16 * 1024 });
  });

  it('refuses a later packet over its limit even when the header arrives a byte at a time', () => {
    const guard = limits(100, 1000);
    expect(guard.check(connect)).toBeUndefined();
    const header = Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01]); // PUBLISH declaring 2,097,152 bytes
    const verdicts = [...header].map((byte) => guard.check(Buffer.from([byte])));
    expect(verdicts.find((v) => v !== undefined)).toMatchObject({ type: 'publish', limit: 1000 });
  });

  it('refuses a packet whose remaining length would need a fifth byte', () => {
    expect(limits(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).check(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]))).toMatchObject({ type: 'connect' });
  });
});
