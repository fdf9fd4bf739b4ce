import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const TTL_MS = 30_000;
const cache = new Map<string, { at: number; addresses: LookupAddress[] }>();
const inflight = new Map<string, LookupCallback[]>();

/**
 * A `lookup` for sockets that resolves each host name once every 30 s instead of once per connection:
 * 10,000 devices connecting to the same hub would otherwise queue 10,000 getaddrinfo calls on libuv's
 * four-thread pool. Same contract as dns.lookup (`all` and `family` honoured).
 */
export function cachedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const family = options.family === 4 || options.family === 6 ? options.family : options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : 0;
  const key = `${hostname}|${family}`;
  const answer = (addresses: LookupAddress[]): void => {
    if (options.all) callback(null, addresses);
    else {
      const first = addresses[0];
      if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
    }
  };
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) {
    process.nextTick(answer, hit.addresses);
    return;
  }
  const waiting = inflight.get(key);
  const resolved: LookupCallback = (error, addresses) => {
    if (error) callback(error, '', 0);
    else answer(addresses as LookupAddress[]);
  };
  if (waiting) {
    waiting.push(resolved);
    return;
  }
  inflight.set(key, [resolved]);
  lookup(hostname, { family, all: true }, (error, addresses) => {
    const callbacks = inflight.get(key) ?? [];
    inflight.delete(key);
    if (!error) cache.set(key, { at: Date.now(), addresses });
    for (const cb of callbacks) cb(error, addresses);
  });
}
