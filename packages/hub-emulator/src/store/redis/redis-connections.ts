import { Redis, type RedisOptions } from 'ioredis';

/** ioredis's retryStrategy for every connection of the hub: reconnects within half a second of Redis coming back. */
export const reconnect = (times: number): number => Math.min(times * 50, 500);

/**
 * Opens one connection per entry (each with its `connectionName` for Redis's CLIENT LIST), all or none:
 * if one cannot connect, the others are closed and the error thrown. They reconnect by themselves; a
 * failed command is answered to its caller, so a connection's own errors are only noticed.
 */
export async function connectRedis(url: string, connections: RedisOptions[]): Promise<Redis[]> {
  const clients = connections.map((options) => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: reconnect, ...options }));
  for (const client of clients) client.on('error', () => undefined);
  try {
    for (const client of clients) await client.connect();
  } catch (error) {
    for (const client of clients) client.disconnect();
    throw error;
  }
  return clients;
}
