import { roundTrips } from '../device-plane.mjs';

/**
 * Runs round trips for `seconds` and returns the server process's CPU time per round trip (µs) and the
 * round trips per second. CPU time in the serving process varies far less than wall time on a shared machine.
 */
export async function cpuPerTrip(server, clients, seconds, makeRequest) {
  const before = await server.cpuMicros();
  const perSecond = await roundTrips(clients, seconds, makeRequest);
  const micros = (await server.cpuMicros()) - before;
  return { micros: micros / Math.max(1, perSecond * seconds), perSecond };
}
