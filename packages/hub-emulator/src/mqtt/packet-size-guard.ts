/** MQTT control packet names by the type in the first nibble of the fixed header. */
const PACKET_TYPES = ['reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'] as const;

export type PacketType = (typeof PACKET_TYPES)[number];

/** A packet whose fixed header declares more than its limit. */
export interface OversizePacket {
  type: PacketType;
  /** The declared remaining length (what is left after the byte at which it became too large, for a malformed length). */
  length: number;
  limit: number;
}

/** The largest remaining length a packet of this type may declare now (asked once per packet, when its header arrives). */
export type PacketLimit = (type: PacketType) => number;

/**
 * Follows the packet boundaries of one MQTT byte stream from the fixed headers alone (type and
 * remaining length), so a packet declaring more than its limit is refused as soon as its header has
 * arrived, before anything buffers the rest. It keeps a few numbers, never the bytes.
 */
export class PacketSizeGuard {
  private state: 'type' | 'length' | 'body' = 'type';
  private type: PacketType = 'reserved';
  private length = 0;
  private multiplier = 1;
  private bodyLeft = 0;

  constructor(private readonly limitOf: PacketLimit) {}

  /** Reads the next chunk of the stream; returns the first packet over its limit, or undefined. */
  check(chunk: Uint8Array): OversizePacket | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const skipped = Math.min(this.bodyLeft, chunk.length - i);
        i += skipped;
        this.bodyLeft -= skipped;
        if (this.bodyLeft === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'type') {
        this.type = PACKET_TYPES[byte >> 4] as PacketType;
        this.length = 0;
        this.multiplier = 1;
        this.state = 'length';
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      const limit = this.limitOf(this.type);
      // A remaining length has at most four bytes (MQTT 2.2.3); a fifth would be malformed, and refused too.
      if (this.length > limit || ((byte & 0x80) !== 0 && this.multiplier > 128 ** 3)) return { type: this.type, length: this.length, limit };
      if ((byte & 0x80) !== 0) continue;
      this.bodyLeft = this.length;
      this.state = this.length === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}
