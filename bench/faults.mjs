// Fault injection's cost: twin GET and reported-PATCH round trips on a hub with an empty fault table
// against the same hub with its admission seam taken out (no control plane), and with one fault in
// force that matches nothing the benchmark sends (the seam asked on every operation). The three hubs
// run side by side and are measured in turns, so a busy moment of the shared machine hits each alike.
// The hubs' CPU time per round trip is what the target is read on: round trips per second swing more
// between windows on a shared machine than the seam could cost.
import { fileURLToPath } from 'node:url';
import { topics } from '../packages/shared/dist/index.js';
import { connectAll, roundTrips } from './device-plane.mjs';
import { cpuPerTrip } from './lib/cpu-per-trip.mjs';
import { startServer } from './lib/start-server.mjs';
import { round } from './lib/stats.mjs';

const KINDS = ['hub-no-control', 'hub', 'hub-fault'];

export async function run({ smoke }) {
  const clientsCount = smoke ? 50 : 300;
  const seconds = smoke ? 0.5 : 2;
  const rounds = smoke ? 2 : 5;
  const hubs = {};
  for (const kind of KINDS) {
    const server = await startServer(kind);
    await server.request({ type: 'createDevices', count: clientsCount }, 'created');
    const { clients } = await connectAll(server, clientsCount, 50);
    await roundTrips(clients, seconds / 2, (rid) => [topics.twinGet(rid), ' ']); // warm-up, not measured
    hubs[kind] = { server, clients, get: 0, patch: 0, getUs: Infinity, patchUs: Infinity };
  }
  // Best window of each hub over several rounds, taken in turns (each round starts with the next hub).
  for (let r = 0; r < rounds; r++) {
    for (const kind of [...KINDS.slice(r % KINDS.length), ...KINDS.slice(0, r % KINDS.length)]) {
      const h = hubs[kind];
      const get = await cpuPerTrip(h.server, h.clients, seconds, (rid) => [topics.twinGet(rid), ' ']);
      const patch = await cpuPerTrip(h.server, h.clients, seconds, (rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n })]);
      h.get = Math.max(h.get, get.perSecond);
      h.patch = Math.max(h.patch, patch.perSecond);
      h.getUs = Math.min(h.getUs, get.micros);
      h.patchUs = Math.min(h.patchUs, patch.micros);
    }
  }
  for (const h of Object.values(hubs)) {
    await Promise.all(h.clients.map((c) => c.endAsync(true)));
    h.server.stop();
  }
  const base = hubs['hub-no-control'];
  const row = (name, value, floor, note) => ({ name, value: round(value, 0), unit: 'req/s', floor: round(floor, 0), ratio: round(value / floor), note });
  const cpuRow = (name, value, floor, note) => ({ name, value: round(value, 1), unit: 'µs CPU', floor: round(floor, 1), ratio: round(value / floor), note });
  return {
    title: 'Fault injection (MQTT over TLS)',
    rows: [
      cpuRow('hub CPU per twin GET round trip, empty fault table', hubs.hub.getUs, base.getUs, 'least of the windows; floor: the same hub without the admission seam; target <= 1.05'),
      cpuRow('hub CPU per reported PATCH round trip, empty fault table', hubs.hub.patchUs, base.patchUs, 'least of the windows; floor: the same hub without the admission seam; target <= 1.05'),
      cpuRow('hub CPU per twin GET round trip, one fault that matches nothing', hubs['hub-fault'].getUs, base.getUs, 'the seam asks the table on every request'),
      row(`twin GET round trips/s, empty fault table (${clientsCount} devices)`, hubs.hub.get, base.get, 'floor: the same hub without the admission seam'),
      row(`reported PATCH round trips/s, empty fault table (${clientsCount} devices)`, hubs.hub.patch, base.patch, 'floor: the same hub without the admission seam'),
      row(`twin GET round trips/s, one fault that matches nothing (${clientsCount} devices)`, hubs['hub-fault'].get, base.get, 'the seam asks the table on every request'),
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
