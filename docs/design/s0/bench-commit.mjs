// usage: node bench-commit.mjs <lua|set> <concurrency> <seconds> [procIndex procCount]
import { client, K, MAXLEN, twin, now, pct, redisCpu, sleep } from './lib.mjs';
const [mode, conc, secs, pi = 0, pc = 1] = process.argv.slice(2).map((x, i) => (i ? Number(x) : x));
const r = client(); const admin = client({ enableAutoPipelining: false });
const NKEYS = 50000; const revs = new Map(); let j = 0;
const payloads = Array.from({ length: 64 }, (_, i) => twin(i));
let ops = 0, stale = 0, lat = new Float64Array(2_000_000), measuring = false, stop = false;
async function one() {
  const idx = (pi + pc * (j++ % Math.floor(NKEYS / pc))) ;
  const key = 'dev-' + idx; const val = payloads[idx & 63];
  const t0 = now();
  if (mode === 'lua' || mode === 'luanox') {
    const [ok, rev] = await r[mode === 'lua' ? 'commit' : 'commitnox'](K.c, K.r, K.rev, K.log, key, revs.get(key) ?? '0', val, MAXLEN, t0.toFixed(3));
    if (ok === 1) revs.set(key, String(rev)); else { stale++; revs.set(key, String(rev)); }
  } else {
    await r.set('twin:' + key, val);
  }
  if (measuring) { if (ops < lat.length) lat[ops] = now() - t0; ops++; }
}
async function loop() { while (!stop) await one(); }
const loops = Array.from({ length: conc }, loop);
await sleep(1000);
const c0 = process.cpuUsage(), rc0 = await redisCpu(admin), t0 = now(); measuring = true;
await sleep(secs * 1000);
measuring = false; const wall = (now() - t0) / 1000, c1 = process.cpuUsage(c0), rc1 = await redisCpu(admin);
stop = true; await Promise.all(loops);
const p = pct(lat, Math.min(ops, lat.length));
console.log(JSON.stringify({ mode, conc, pi, pc, opsPerSec: Math.round(ops / wall), p50ms: +p.p50.toFixed(3), p99ms: +p.p99.toFixed(3), stale,
  clientCpuUsPerOp: +(((c1.user + c1.system)) / ops).toFixed(1), clientCpuPct: Math.round((c1.user + c1.system) / 1e4 / wall), redisCpuPct: Math.round((rc1 - rc0) * 100 / wall) }));
r.disconnect(); admin.disconnect();
