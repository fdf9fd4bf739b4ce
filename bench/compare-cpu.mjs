// The hub's CPU time per twin GET and reported-PATCH round trip, for another built checkout and this one,
// with the bare-aedes floor, interleaved round after round; the least of the rounds is the least disturbed.
//   node bench/compare-cpu.mjs <other-checkout> [rounds=5]
// Not part of npm run bench: it compares versions (docs/device-plane.md, "What it costs").
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topics } from '../packages/shared/dist/index.js';
import { connectAll } from './device-plane.mjs';
import { cpuPerTrip } from './lib/cpu-per-trip.mjs';
import { startServer } from './lib/start-server.mjs';
import { round } from './lib/stats.mjs';

const REQUESTS = {
  get: (rid) => [topics.twinGet(rid), ' '],
  patch: (rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n, status: 'ok' })],
};

/** The least CPU per round trip of three 2-second windows for each request kind, 50 devices. */
async function measure(kind, checkout) {
  const server = await startServer(kind, checkout ? { checkout } : {});
  await server.request({ type: 'createDevices', count: 50 }, 'created');
  const { clients } = await connectAll(server, 50, 25);
  const result = {};
  for (const [name, make] of Object.entries(REQUESTS)) {
    await cpuPerTrip(server, clients, 0.5, make); // warm-up
    const windows = [];
    for (let k = 0; k < 3; k++) windows.push((await cpuPerTrip(server, clients, 2, make)).micros);
    result[name] = Math.min(...windows);
  }
  await Promise.all(clients.map((c) => c.endAsync(true)));
  server.stop();
  return result;
}

if (!process.argv[2]) throw new Error('usage: node bench/compare-cpu.mjs <other-checkout> [rounds]');
const other = resolve(process.argv[2]);
const rounds = Number(process.argv[3] ?? 5);
const runs = { floor: [], other: [], this: [] };
for (let r = 0; r < rounds; r++) {
  runs.floor.push(await measure('floor'));
  runs.other.push(await measure('hub', other));
  runs.this.push(await measure('hub'));
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
}
const least = (list, op) => round(Math.min(...list.map((x) => x[op])), 1);
const table = Object.fromEntries(
  Object.keys(REQUESTS).map((op) => [op, { floorUs: least(runs.floor, op), otherUs: least(runs.other, op), thisUs: least(runs.this, op), change: `${round((least(runs.this, op) / least(runs.other, op) - 1) * 100, 1)} %` }]),
);
console.log(JSON.stringify({ other, this: fileURLToPath(new URL('..', import.meta.url)), rounds, cpuMicrosecondsPerRoundTrip: table }, null, 2));
