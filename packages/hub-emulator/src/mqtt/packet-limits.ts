import type { PacketType } from './packet-size-guard.js';

/** Largest PUBLISH payload the hub accepts (D2C limit, 256 KB); larger ones close the connection like the real hub. */
export const MAX_PUBLISH_BYTES = 256 * 1024;

/**
 * Largest remaining length a connection's first packet (its CONNECT) may declare: client id, user name
 * and SAS token need a few kilobytes at most (Will messages are not supported).
 */
export const MAX_CONNECT_PACKET_BYTES = 16 * 1024;

/** Largest remaining length any later packet may declare: a 256 KB payload, the longest topic MQTT allows and a packet id. */
export const MAX_PACKET_BYTES = MAX_PUBLISH_BYTES + 2 + 0xffff + 2;

/** Largest WebSocket message carrying MQTT: one whole packet with its fixed header (at most 5 bytes). */
export const MAX_WEBSOCKET_MESSAGE_BYTES = MAX_PACKET_BYTES + 5;

/** The limit of a connection's packet `index` (0 is the CONNECT), applied from its fixed header before the rest is buffered. */
export const packetLimit = (_type: PacketType, index: number): number => (index === 0 ? MAX_CONNECT_PACKET_BYTES : MAX_PACKET_BYTES);
