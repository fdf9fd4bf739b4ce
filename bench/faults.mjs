// Fault injection's cost: twin GET and reported-PATCH round trips on a hub with an empty fault table
// against the same hub with its admission seam taken out (no control plane), and with one fault in
// force that matches nothing the benchmark sends (the seam asked on every operation).
import { fileURLToPath } from 'node:url';
import { topics } from '../packages/shared/dist/index.js';
import { bestOf, connectAll, roundTrips, startServer } from './device-plane.mjs';
import { round } from './lib/stats.mjs';

export async function run({ smoke }) {
  const clientsCount = smoke ? 50 : 500;
  const seconds = smoke ? 0.5 : 3;
  const results = {};
  for (const kind of ['hub-no-control', 'hub', 'hub-fault']) {
    const server = await startServer(kind);
    await server.request({ type: 'createDevices', count: clientsCount }, 'created');
    const { clients } = await connectAll(server, clientsCount, 50);
    await roundTrips(clients, seconds / 2, (rid) => [topics.twinGet(rid), ' ']); // warm-up, not measured
    const get = await bestOf(3, () => roundTrips(clients, seconds, (rid) => [topics.twinGet(rid), ' ']));
    const patch = await bestOf(3, () => roundTrips(clients, seconds, (rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n })]));
    results[kind] = { get, patch };
    await Promise.all(clients.map((c) => c.endAsync(true)));
    server.stop();
  }
  const base = results['hub-no-control'];
  const row = (name, value, floor, note) => ({ name, value: round(value, 0), unit: 'req/s', floor: round(floor, 0), ratio: round(value / floor), note });
  return {
    title: 'Fault injection (MQTT over TLS)',
    rows: [
      row(`twin GET round trips/s, empty fault table (${clientsCount} devices)`, results.hub.get, base.get, 'floor: the same hub without the admission seam; target >= 0.95'),
      row(`reported PATCH round trips/s, empty fault table (${clientsCount} devices)`, results.hub.patch, base.patch, 'floor: the same hub without the admission seam; target >= 0.95'),
      row(`twin GET round trips/s, one fault that matches nothing (${clientsCount} devices)`, results['hub-fault'].get, base.get, 'the seam asks the table on every request'),
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
