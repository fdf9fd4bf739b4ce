import type { Logger } from '@hubemu/shared';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { errorText } from '../store/log-writes.js';
import { connectRedis } from '../store/redis/redis-connections.js';

/** A pair of Redis connections for pub/sub between the processes of a cluster: one publishes (and asks), one only listens. */
export interface PubSub {
  publisher: Redis;
  subscriber: Redis;
}

/** Opens both connections, named `hubemu-<name>` and `hubemu-<name>-sub` in Redis's CLIENT LIST. */
export async function openPubSub(url: string, name: string): Promise<PubSub> {
  const [publisher, subscriber] = (await connectRedis(url, [{ connectionName: `hubemu-${name}` }, { connectionName: `hubemu-${name}-sub` }])) as [Redis, Redis];
  return { publisher, subscriber };
}

/** Closes both connections. */
export async function closePubSub({ publisher, subscriber }: PubSub): Promise<void> {
  subscriber.disconnect();
  await publisher.quit().catch(() => undefined);
}

/** A message from another process checked against its schema; one that is not understood is logged as `what` and answers undefined. */
export function parseMessage<T>(schema: z.ZodType<T>, text: string, logger: Logger, what: string): T | undefined {
  try {
    return schema.parse(JSON.parse(text));
  } catch (error) {
    logger.warn({ err: errorText(error) }, `${what} was not understood`);
    return undefined;
  }
}
