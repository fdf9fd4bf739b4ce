// usage: node bench-tail.mjs apply-max            -- read the whole existing stream from 0, apply, report entries/s and CPU/entry
//        node bench-tail.mjs lag <seconds>        -- tail new entries, report commit->apply lag
//        node bench-tail.mjs fence <seconds> <readers>  -- tail + coalesced fences from <readers> concurrent request loops
//        node bench-tail.mjs getrev <seconds>     -- sequential GET rev latency
import { client, K, now, pct, sleep } from './lib.mjs';
const [mode, secs = 5, readers = 64] = process.argv.slice(2).map((x, i) => (i ? Number(x) : x));
const RAW = !!process.env.RAW; const replica = new Map(); const revOf = new Map(); let appliedRev = 0, applied = 0, parseNs = 0n;
const lags = new Float64Array(2_000_000); let nl = 0; let recordLag = false;
const waiters = [];
function applyBatch(entries) {
  const t = now(); const p0 = process.hrtime.bigint();
  for (const [, f] of entries) {
    if (f[2] === 'ts') { // batch entry: ['rev', r, 'ts', ts, k1, v1, k2, v2, ...]
      const rev = Number(f[1]);
      for (let i = 4; i < f.length; i += 2) { const key = f[i];
        if ((revOf.get(key) ?? 0) < rev) { replica.set(key, RAW ? f[i + 1] : JSON.parse(f[i + 1])); revOf.set(key, rev); }
        if (recordLag && nl < lags.length) lags[nl++] = t - Number(f[3]);
        applied++; }
      if (rev > appliedRev) appliedRev = rev; continue;
    }
    // single entry: ['rev', r, 'c', c, 'k', k, 'v', v, 'ts', ts]
    const rev = Number(f[1]); const key = f[5];
    if ((revOf.get(key) ?? 0) < rev) { replica.set(key, RAW ? f[7] : JSON.parse(f[7])); revOf.set(key, rev); }
    if (rev > appliedRev) appliedRev = rev;
    if (recordLag && nl < lags.length) lags[nl++] = t - Number(f[9]);
    applied++;
  }
  parseNs += process.hrtime.bigint() - p0;
  for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].rev <= appliedRev) { waiters[i].res(); waiters.splice(i, 1); }
}
const tailConn = client({ enableAutoPipelining: false }); const r = client();
let stopTail = false;
async function tail(from, block) {
  let id = from;
  while (!stopTail) {
    const res = block ? await tailConn.xread('COUNT', 500, 'BLOCK', 200, 'STREAMS', K.log, id) : await tailConn.xread('COUNT', 500, 'STREAMS', K.log, id);
    if (!res) { if (!block) return; continue; }
    const entries = res[0][1]; id = entries[entries.length - 1][0]; applyBatch(entries);
    await new Promise(setImmediate); // yield between batches
  }
}
const out = { mode };
if (mode === 'apply-max') {
  const c0 = process.cpuUsage(); const h0 = process.memoryUsage().heapUsed; const t0 = now();
  await tail('0', false);
  const wall = (now() - t0) / 1000; const c = process.cpuUsage(c0);
  if (global.gc) global.gc();
  Object.assign(out, { entries: applied, keys: replica.size, entriesPerSec: Math.round(applied / wall), cpuUsPerEntry: +((c.user + c.system) / applied).toFixed(2),
    applyOnlyUsPerEntry: +(Number(parseNs) / 1000 / applied).toFixed(2), heapMBAfter: +((process.memoryUsage().heapUsed) / 1048576).toFixed(1), heapDeltaMB: +((process.memoryUsage().heapUsed - h0) / 1048576).toFixed(1) });
} else if (mode === 'lag' || mode === 'fence') {
  const last = await r.xrevrange(K.log, '+', '-', 'COUNT', 1); appliedRev = Number(await r.get(K.rev) ?? 0);
  const tp = tail(last.length ? last[0][0] : '0', true);
  await sleep(1000); recordLag = true; applied = 0; parseNs = 0n;
  let fences = 0, gets = 0; const flat = new Float64Array(5_000_000); let nf = 0; let stop = false; let pending = null;
  function fence() {
    if (!pending) pending = new Promise((res) => setImmediate(async () => {
      pending = null; gets++; const rev = Number(await r.get(K.rev));
      if (rev <= appliedRev) res(); else waiters.push({ rev, res });
    }));
    return pending;
  }
  const loops = mode === 'fence' ? Array.from({ length: readers }, async () => { while (!stop) { const t = now(); await fence(); if (nf < flat.length) flat[nf++] = now() - t; fences++; } }) : [];
  const c0 = process.cpuUsage(); const t0 = now();
  await sleep(secs * 1000); stop = true; const wall = (now() - t0) / 1000; const c = process.cpuUsage(c0);
  const L = pct(lags, nl);
  Object.assign(out, { applied, appliedPerSec: Math.round(applied / wall), lagP50ms: +L.p50.toFixed(2), lagP99ms: +L.p99.toFixed(2), lagMaxMs: +L.max.toFixed(1),
    cpuPct: Math.round((c.user + c.system) / 1e4 / wall), applyOnlyUsPerEntry: +(Number(parseNs) / 1000 / Math.max(1, applied)).toFixed(2) });
  if (mode === 'fence') { const F = pct(flat, nf); Object.assign(out, { readers, fencesPerSec: Math.round(fences / wall), getRevPerSec: Math.round(gets / wall), fenceP50ms: +F.p50.toFixed(3), fenceP99ms: +F.p99.toFixed(3) }); }
  await Promise.all(loops); stopTail = true; await tp;
} else if (mode === 'getrev') {
  const lat = new Float64Array(1_000_000); let n = 0; const t0 = now();
  while (now() - t0 < secs * 1000) { const t = now(); await r.get(K.rev); lat[n++] = now() - t; }
  const P = pct(lat, n); Object.assign(out, { n, perSec: Math.round(n / secs), p50ms: +P.p50.toFixed(3), p99ms: +P.p99.toFixed(3) });
}
console.log(JSON.stringify(out)); tailConn.disconnect(); r.disconnect();
