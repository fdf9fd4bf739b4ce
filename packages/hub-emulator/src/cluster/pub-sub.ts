import { Redis } from 'ioredis';

/** A pair of Redis connections for pub/sub between the processes of a cluster: one publishes (and asks), one only listens. */
export interface PubSub {
  publisher: Redis;
  subscriber: Redis;
}

/** Opens both connections, named `hubemu-<name>` and `hubemu-<name>-sub` in Redis's CLIENT LIST; they reconnect by themselves. */
export async function openPubSub(url: string, name: string): Promise<PubSub> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (times: number) => Math.min(times * 50, 500) };
  const publisher = new Redis(url, { ...options, connectionName: `hubemu-${name}` });
  const subscriber = new Redis(url, { ...options, connectionName: `hubemu-${name}-sub` });
  // A failed command is answered to its caller; the connection's own errors are only noticed.
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  try {
    await publisher.connect();
    await subscriber.connect();
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    throw error;
  }
  return { publisher, subscriber };
}

/** Closes both connections. */
export async function closePubSub({ publisher, subscriber }: PubSub): Promise<void> {
  subscriber.disconnect();
  await publisher.quit().catch(() => undefined);
}
