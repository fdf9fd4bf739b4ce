/** Largest PUBLISH payload the hub accepts (D2C limit, 256 KB); larger ones close the connection like the real hub. */
export const MAX_PUBLISH_BYTES = 256 * 1024;

/**
 * Largest remaining length a packet may declare before the connection has authenticated (its CONNECT,
 * and anything sent before CONNACK): client id, user name and SAS token need a few kilobytes at most
 * (Will messages are not supported). With aedes' queue of 42 packets awaiting CONNACK, an
 * unauthenticated connection holds well under 1 MB.
 */
export const MAX_CONNECT_PACKET_BYTES = 16 * 1024;

/** Largest remaining length a packet of an authenticated connection may declare: a 256 KB payload, the longest topic MQTT allows and a packet id. */
export const MAX_PACKET_BYTES = MAX_PUBLISH_BYTES + 2 + 0xffff + 2;

/** Largest WebSocket message carrying MQTT: one whole packet with its fixed header (at most 5 bytes). */
export const MAX_WEBSOCKET_MESSAGE_BYTES = MAX_PACKET_BYTES + 5;

/** The limit of a connection's next packet, applied from its fixed header before the rest is buffered. */
export const packetLimit = (authenticated: boolean): number => (authenticated ? MAX_PACKET_BYTES : MAX_CONNECT_PACKET_BYTES);

/**
 * Most bytes the hub lets wait in a connection's outgoing buffer (a device that stops reading while the
 * hub pushes desired patches and method requests to it). Past it the connection is closed, as a
 * transport would drop a peer that does not read: the device reconnects and GETs its twin.
 */
export const MAX_PENDING_OUTBOUND_BYTES = 4 * 1024 * 1024;
