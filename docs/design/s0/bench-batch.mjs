// usage: node bench-batch.mjs <batchSize> <batchesInFlight> <seconds> [pi pc] -- one Lua call commits a batch of writes (one INCR, one XADD)
import { client, K, MAXLEN, twin, now, pct, redisCpu, sleep } from './lib.mjs';
export const LUA = `
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
const [bs, conc, secs, pi = 0, pc = 1] = process.argv.slice(2).map(Number);
const r = client(); r.defineCommand('commitb', { numberOfKeys: 4, lua: LUA }); const admin = client({ enableAutoPipelining: false });
const revs = new Map(); const payloads = Array.from({ length: 64 }, (_, i) => twin(i)); let j = 0, ops = 0, stale = 0, measuring = false, stop = false;
const lat = new Float64Array(1_000_000); let nb = 0;
async function loop() { while (!stop) {
  const args = []; const keys = [];
  for (let b = 0; b < bs; b++) { const idx = pi + pc * (j++ % Math.floor(50000 / pc)); const key = 'dev-' + idx; keys.push(key); args.push(key, revs.get(key) ?? '0', payloads[idx & 63]); }
  const t0 = now(); const [ok, rev] = await r.commitb(K.c, K.r, K.rev, K.log, MAXLEN / bs, t0.toFixed(3), bs, ...args);
  if (ok !== 1) { stale++; continue; } for (const k of keys) revs.set(k, String(rev));
  if (measuring) { ops += bs; if (nb < lat.length) lat[nb++] = now() - t0; }
} }
const loops = Array.from({ length: conc }, loop); await sleep(1000);
const c0 = process.cpuUsage(), rc0 = await redisCpu(admin), t0 = now(); measuring = true; await sleep(secs * 1000); measuring = false;
const wall = (now() - t0) / 1000, c1 = process.cpuUsage(c0), rc1 = await redisCpu(admin); stop = true; await Promise.all(loops);
const p = pct(lat, nb);
console.log(JSON.stringify({ mode: 'batch', bs, conc, pi, pc, writesPerSec: Math.round(ops / wall), batchP50ms: +p.p50.toFixed(2), batchP99ms: +p.p99.toFixed(2), stale,
  clientCpuUsPerWrite: +((c1.user + c1.system) / ops).toFixed(1), redisCpuPct: Math.round((rc1 - rc0) * 100 / wall) }));
r.disconnect(); admin.disconnect();
