/**
 * Message counters. A client counts into its own object unless given one; a fleet gives every client the
 * same object, so counting 10,000 devices costs nine numbers.
 */
export interface TrafficCounters {
  /** PUBLISH packets sent (telemetry, twin requests, method responses). */
  sent: number;
  /** PUBLISH packets received (twin responses, desired notifications, method requests). */
  received: number;
  telemetry: number;
  twinRequests: number;
  desiredPatches: number;
  methodRequests: number;
  methodResponses: number;
  /** Cloud-to-device messages received. */
  c2dMessages: number;
  connects: number;
  /** Connections whose TLS handshake resumed an earlier session (see resumeTlsSession). */
  tlsResumed: number;
  disconnects: number;
}

export function createTrafficCounters(): TrafficCounters {
  return { sent: 0, received: 0, telemetry: 0, twinRequests: 0, desiredPatches: 0, methodRequests: 0, methodResponses: 0, c2dMessages: 0, connects: 0, tlsResumed: 0, disconnects: 0 };
}
