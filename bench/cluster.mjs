// Cluster benchmark (docs/scale-out.md): twin GET and reported-PATCH round trips per second through 1, 2 and 3
// hub processes sharing one Redis, against the bare-aedes floor and the embedded (in-memory) hub measured in the
// same run, with the CPU each round trip costs the hub processes and Redis together.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topics } from '../packages/shared/dist/index.js';
import { connectAll, roundTrips } from './device-plane.mjs';
import { fleetRun, rows as fleetRows } from './fleet.mjs';
import { startServer } from './lib/start-server.mjs';
import { round } from './lib/stats.mjs';

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Debian's redis-server, with the append-only file the hub requires (fsync every second, its default). */
async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hubemu-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'PONG') break;
    } catch {
      if (Date.now() > deadline) throw new Error('redis-server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  /** redis-server's CPU time so far, in µs (from /proc: utime + stime in clock ticks of 10 ms). */
  const cpuMicros = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  };
  return {
    url,
    cpuMicros,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Round trips per second through all servers at once (the devices split evenly between them), and the CPU
 * (µs) the servers, and Redis when given, spent per round trip.
 */
async function measure(servers, devices, seconds, redis) {
  const per = Math.floor(devices / servers.length);
  const clients = (await Promise.all(servers.map(async (server, i) => (await connectAll(server, per, 50, i * per)).clients))).flat();
  const cpu = async () => (await Promise.all(servers.map((s) => s.cpuMicros()))).reduce((a, b) => a + b, 0) + (redis ? redis.cpuMicros() : 0);
  const window = async (makeRequest) => {
    await roundTrips(clients, seconds / 2, makeRequest); // warm-up, not measured
    const before = await cpu();
    const rate = await roundTrips(clients, seconds, makeRequest);
    return { rate, cpuPerTrip: ((await cpu()) - before) / (rate * seconds) };
  };
  const get = await window((rid) => [topics.twinGet(rid), ' ']);
  const patch = await window((rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n, status: 'ok' })]);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return { get, patch };
}

export async function run({ smoke }) {
  const clients = smoke ? 30 : 600;
  const fleetDevices = smoke ? 100 : 50_000;
  const seconds = smoke ? 0.5 : 4;
  const results = {};

  const floor = await startServer('floor');
  results.floor = await measure([floor], clients, seconds);
  floor.stop();

  const embedded = await startServer('hub');
  await embedded.request({ type: 'createDevices', count: clients }, 'created');
  results.embedded = await measure([embedded], clients, seconds);
  embedded.stop();

  const redis = await startRedis();
  try {
    for (const n of [1, 2, 3]) {
      process.env.HUBEMU_BENCH_REDIS = redis.url;
      process.env.HUBEMU_BENCH_NAMESPACE = `bench-${n}`;
      const servers = [];
      for (let i = 0; i < n; i++) servers.push(await startServer('hub-redis'));
      await servers[0].request({ type: 'createDevices', count: clients }, 'created');
      // Clients go to every process: each must have the identities before its devices connect.
      await Promise.all(servers.map((s) => s.request({ type: 'settled' }, 'settled')));
      results[`redis${n}`] = await measure(servers, clients, seconds, redis);
      for (const s of servers) s.stop();
    }
    // The load test at the size one process cannot hold: a three-process hub on this Redis, started by the command.
    const started = performance.now();
    const report = await fleetRun(fleetDevices, ['--hub-processes', '3', '--redis', redis.url, '--max-concurrent-connects', '200']);
    results.fleet = fleetRows(report, undefined, (performance.now() - started) / 1000, `${fleetDevices} devices, 3 hub processes`);
  } finally {
    redis.stop();
    delete process.env.HUBEMU_BENCH_REDIS;
    delete process.env.HUBEMU_BENCH_NAMESPACE;
  }

  const rows = [];
  const add = (name, key, op, note) => {
    const r = results[key][op];
    const f = results.floor[op];
    rows.push({ name, value: round(r.rate, 0), unit: 'req/s', floor: round(f.rate, 0), ratio: round(r.rate / f.rate), note: `${round(r.cpuPerTrip, 0)} µs of server CPU per round trip${note ? `; ${note}` : ''}` });
  };
  for (const op of ['get', 'patch']) {
    const label = op === 'get' ? 'twin GET' : 'reported PATCH';
    add(`${label}, embedded in-memory hub, 1 process (${clients} devices)`, 'embedded', op);
    for (const n of [1, 2, 3]) add(`${label}, Redis store, ${n} process${n > 1 ? 'es' : ''} (${clients} devices)`, `redis${n}`, op, n === 1 ? 'CPU includes redis-server' : 'devices spread evenly; CPU includes redis-server');
  }
  rows.push(...results.fleet);
  return {
    title: 'Hub cluster on Redis',
    intro:
      'Round trips through hub processes that share their state through one Redis (AOF, fsync every second), against the bare-aedes floor and the embedded hub, all on this machine in one run. On 2 cores the processes, Redis and the load generator share the same CPUs, so more processes cannot add throughput here, and one 4-second window per row moves with the load on the machine (other sessions share it); the CPU column, what each round trip costs, is the steadier figure. ' +
      `The fleet rows run \`hubemu fleet run --devices ${fleetDevices} --scenario telemetry-config --hub-processes 3 --redis <url>\`: more devices than one hub process may hold (see the fleet section for one process).`,
    rows,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
