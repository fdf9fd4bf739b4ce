// usage: node bench-loadb.mjs <ratePerSec> <seconds>  -- fixed-rate writes, group-committed: every 1 ms tick the due writes go in one Lua call (<=100 each)
import { client, K, MAXLEN, twin, now, pct, sleep } from './lib.mjs';
const LUA = `
local n = tonumber(ARGV[3])
for i = 0, n - 1 do
  local cur = redis.call('HGET', KEYS[2], ARGV[4 + i * 3]) or '0'
  if cur ~= ARGV[5 + i * 3] then return {0, i} end
end
local rev = redis.call('INCR', KEYS[3])
local fields = {'rev', rev, 'ts', ARGV[2]}
for i = 0, n - 1 do
  local k, v = ARGV[4 + i * 3], ARGV[6 + i * 3]
  redis.call('HSET', KEYS[1], k, v); redis.call('HSET', KEYS[2], k, rev)
  fields[#fields + 1] = k; fields[#fields + 1] = v
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
return {1, rev}`;
const [rate, secs] = process.argv.slice(2).map(Number);
const r = client(); r.defineCommand('commitb', { numberOfKeys: 4, lua: LUA });
const revs = new Map(); const payloads = Array.from({ length: 64 }, (_, i) => twin(i));
let sent = 0, done = 0, stale = 0, j = 0, calls = 0; const lat = new Float64Array(rate * secs + 10);
const t0 = now(); const end = t0 + secs * 1000;
async function batch(n) {
  const args = [], keys = []; const ts = now();
  for (let b = 0; b < n; b++) { const idx = j++ % 50000; const key = 'dev-' + idx; keys.push(key); args.push(key, revs.get(key) ?? '0', payloads[idx & 63]); }
  calls++; const [ok, rev] = await r.commitb(K.c, K.r, K.rev, K.log, MAXLEN / 10, ts.toFixed(3), n, ...args);
  if (ok !== 1) stale += n; for (const k of keys) revs.set(k, String(rev)); const l = now() - ts; for (let b = 0; b < n; b++) lat[done++] = l;
}
await new Promise((res) => { const iv = setInterval(() => {
  const t = now(); if (t >= end) { clearInterval(iv); res(); return; }
  let due = Math.floor(((t - t0) / 1000) * rate) - sent; while (due > 0) { const n = Math.min(100, due); sent += n; due -= n; batch(n); }
}, 1); });
while (done < sent) await sleep(5);
const p = pct(lat, done);
console.error(JSON.stringify({ loader: 'grouped', target: rate, achieved: Math.round(done / ((now() - t0) / 1000)), writesPerCall: +(done / calls).toFixed(1), commitP50ms: +p.p50.toFixed(2), commitP99ms: +p.p99.toFixed(2), stale }));
r.disconnect();
