import Redis from 'ioredis';
export const PORT = Number(process.env.RPORT || 6390);
export const NS = 'hubemu:{h}:';
export const K = { c: NS + 'c:twins', r: NS + 'r', rev: NS + 'rev', log: NS + 'log' };
export const MAXLEN = 100000;
export const COMMIT_LUA = `
local cur = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if cur ~= ARGV[2] then return {0, cur} end
local rev = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], rev)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'rev', rev, 'c', 'twins', 'k', ARGV[1], 'v', ARGV[3], 'ts', ARGV[5])
return {1, rev}`;
export const COMMIT_NOX_LUA = `
local cur = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if cur ~= ARGV[2] then return {0, cur} end
local rev = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], rev)
return {1, rev}`;
export function client(opts = {}) {
  const r = new Redis({ port: PORT, enableAutoPipelining: true, ...opts });
  r.defineCommand('commit', { numberOfKeys: 4, lua: COMMIT_LUA });
  r.defineCommand('commitnox', { numberOfKeys: 4, lua: COMMIT_NOX_LUA });
  return r;
}
export const now = () => performance.timeOrigin + performance.now(); // ms, sub-ms precision, comparable across processes
export function twin(i, version = 1) {
  const id = `dev-${i}`;
  const t = new Date(1764600000000 + i * 1000).toISOString();
  const doc = {
    deviceId: id, etag: 'AAAAAAAAAA' + (i % 97), deviceEtag: 'NzA5MzQ1NjQ=', status: 'enabled', statusUpdateTime: '0001-01-01T00:00:00Z',
    connectionState: 'Connected', lastActivityTime: t, cloudToDeviceMessageCount: 0, authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null }, modelId: 'dtmi:com:example:Thermostat;1', version,
    tags: { location: { region: 'eu-west', building: 'b' + (i % 40), floor: i % 12 }, owner: 'team-' + (i % 7) },
    properties: {
      desired: { telemetryInterval: 30, firmware: { version: '1.4.' + (i % 9), url: 'https://fw.example.com/thermo/1.4.bin' },
        $metadata: { $lastUpdated: t, telemetryInterval: { $lastUpdated: t, $lastUpdatedVersion: 3 }, firmware: { $lastUpdated: t, $lastUpdatedVersion: 3 } }, $version: 3 },
      reported: { telemetryInterval: 30, firmware: { version: '1.4.' + (i % 9), status: 'Success' }, temperature: 21.5 + (version % 10), serial: 'SN-' + (100000 + i),
        $metadata: { $lastUpdated: t, telemetryInterval: { $lastUpdated: t }, firmware: { $lastUpdated: t }, temperature: { $lastUpdated: t }, serial: { $lastUpdated: t } }, $version: version },
    },
    capabilities: { iotEdge: false },
  };
  return JSON.stringify(doc);
}
export function pct(arr, n) {
  if (!n) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const a = Float64Array.from(arr.slice(0, n)).sort();
  const q = (p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
  return { n, p50: q(0.5), p99: q(0.99), max: a[a.length - 1] };
}
export async function redisCpu(r) {
  const s = await r.info('cpu');
  const g = (k) => Number(s.match(new RegExp(k + ':([0-9.]+)'))[1]);
  return g('used_cpu_user') + g('used_cpu_sys');
}
export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
