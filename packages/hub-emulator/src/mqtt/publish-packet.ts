/**
 * Encodes an MQTT 3.1.1 PUBLISH at QoS 1 (fixed header, remaining length, topic, packet id, payload):
 * the one packet the hub writes to a device's socket itself (C2D, see c2d-push.ts), so that it picks
 * the packet id and aedes keeps no copy of it.
 */
export function encodePublishQos1(topic: string, packetId: number, payload: Buffer): Buffer {
  const name = Buffer.from(topic, 'utf8');
  const variable = Buffer.alloc(2 + name.length + 2);
  variable.writeUInt16BE(name.length, 0);
  name.copy(variable, 2);
  variable.writeUInt16BE(packetId, 2 + name.length);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(variable.length + payload.length), variable, payload]);
}

/** MQTT's variable-length integer (at most 4 bytes: 268,435,455). */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}
