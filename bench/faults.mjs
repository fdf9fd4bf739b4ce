// Fault injection's cost: the hub's CPU time per twin GET and reported-PATCH round trip with an empty
// fault table, against the same hub with its admission seam taken out (as if it had no control plane),
// and with one fault in force that matches nothing the benchmark sends (the seam asks the table on every
// operation). One hub process switches between the three modes window by window, so the same heap,
// sockets and machine load stand behind each; CPU time per round trip swings far less than round trips
// per second on a shared machine, and each round's modes are compared with each other.
import { fileURLToPath } from 'node:url';
import { topics } from '../packages/shared/dist/index.js';
import { connectAll } from './device-plane.mjs';
import { cpuPerTrip } from './lib/cpu-per-trip.mjs';
import { startServer } from './lib/start-server.mjs';
import { round } from './lib/stats.mjs';

const MODES = ['off', 'empty', 'fault'];
const REQUESTS = {
  get: (rid) => [topics.twinGet(rid), ' '],
  patch: (rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n })],
};

export async function run({ smoke }) {
  const clientsCount = smoke ? 50 : 300;
  const seconds = smoke ? 0.5 : 1;
  const rounds = smoke ? 2 : 15;
  const server = await startServer('hub-faults');
  await server.request({ type: 'createDevices', count: clientsCount }, 'created');
  const { clients } = await connectAll(server, clientsCount, 50);
  await cpuPerTrip(server, clients, seconds, REQUESTS.get); // warm-up, not measured
  // Per round and request kind, each mode's CPU per round trip, measured back to back.
  const samples = Object.fromEntries(MODES.map((mode) => [mode, { get: [], patch: [] }]));
  for (let r = 0; r < rounds; r++) {
    // Each round starts with the next mode, so no mode always follows the same one.
    for (const mode of [...MODES.slice(r % MODES.length), ...MODES.slice(0, r % MODES.length)]) {
      await server.request({ type: 'faultMode', mode }, 'faultMode');
      for (const [op, make] of Object.entries(REQUESTS)) samples[mode][op].push((await cpuPerTrip(server, clients, seconds, make)).micros);
    }
  }
  await Promise.all(clients.map((c) => c.endAsync(true)));
  server.stop();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  // The ratio is the median of the rounds' own ratios: a busy moment of the machine hits both sides of a pair alike.
  const pairedRatio = (mode, op) => median(samples[mode][op].map((value, i) => value / samples.off[op][i]));
  const row = (mode, op, name, note) => ({ name, value: round(median(samples[mode][op]), 1), unit: 'µs CPU', floor: round(median(samples.off[op]), 1), ratio: round(pairedRatio(mode, op)), note });
  const note = `medians of ${rounds} rounds; ratio: the median of each round's ratio; floor: the same hub, seam taken out`;
  return {
    title: 'Fault injection (MQTT over TLS)',
    rows: [
      row('empty', 'get', `hub CPU per twin GET round trip, empty fault table (${clientsCount} devices)`, `${note}; target <= 1.05`),
      row('empty', 'patch', `hub CPU per reported PATCH round trip, empty fault table (${clientsCount} devices)`, `${note}; target <= 1.05`),
      row('fault', 'get', `hub CPU per twin GET round trip, one fault that matches nothing (${clientsCount} devices)`, 'the seam asks the table on every request'),
      row('fault', 'patch', `hub CPU per reported PATCH round trip, one fault that matches nothing (${clientsCount} devices)`, 'the seam asks the table on every request'),
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
