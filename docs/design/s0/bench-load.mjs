// usage: node bench-load.mjs <ratePerSec> <seconds> [keyOffset]  -- commits at a fixed rate (Lua commit), reports achieved rate + latency
import { client, K, MAXLEN, twin, now, pct, sleep } from './lib.mjs';
const [rate, secs, off = 0] = process.argv.slice(2).map(Number);
const r = client(); const revs = new Map(); const payloads = Array.from({ length: 64 }, (_, i) => twin(i));
let sent = 0, done = 0, stale = 0, j = 0; const lat = new Float64Array(rate * secs + 10);
const t0 = now(); const end = t0 + secs * 1000;
async function one() {
  const idx = off + (j++ % 50000); const key = 'dev-' + idx; const ts = now();
  const [ok, rev] = await r.commit(K.c, K.r, K.rev, K.log, key, revs.get(key) ?? '0', payloads[idx & 63], MAXLEN, ts.toFixed(3));
  if (ok !== 1) stale++; revs.set(key, String(rev)); lat[done++] = now() - ts;
}
await new Promise((res) => { const iv = setInterval(() => {
  const t = now(); if (t >= end) { clearInterval(iv); res(); return; }
  const due = Math.floor(((t - t0) / 1000) * rate); while (sent < due) { sent++; one(); }
}, 1); });
while (done < sent) await sleep(5);
const p = pct(lat, done);
console.error(JSON.stringify({ loader: true, target: rate, achieved: Math.round(done / ((now() - t0) / 1000)), commitP50ms: +p.p50.toFixed(2), commitP99ms: +p.p99.toFixed(2), stale }));
r.disconnect();
