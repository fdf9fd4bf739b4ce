import { HubError, type Logger } from '@hubemu/shared';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { MESSAGE_SOURCES } from './event-hub-types.js';
import { eventBytes, type EventLog, type NewHubEvent } from './event-log.js';
import { errorText } from '../store/log-writes.js';
import { connectRedis } from '../store/redis/redis-connections.js';

/**
 * Numbers one event in its partition and appends it to the partition's stream, atomically: sequence
 * numbers and byte offsets count per partition in the `next` hash, and enqueued times never go back.
 * KEYS: next hash, partition stream. ARGV: partition, bytes, the writer's time (ms), the stream's bound, the event (JSON).
 */
const APPEND_SCRIPT = `
local p = ARGV[1]
local bytes = tonumber(ARGV[2])
local seq = redis.call('HINCRBY', KEYS[1], 'seq:' .. p, 1) - 1
local off = redis.call('HINCRBY', KEYS[1], 'off:' .. p, bytes) - bytes
local t = math.max(tonumber(ARGV[3]), tonumber(redis.call('HGET', KEYS[1], 'time') or '0'))
redis.call('HSET', KEYS[1], 'time', string.format('%d', t))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 's', seq, 'o', off, 't', string.format('%d', t), 'e', ARGV[5])
return seq
`;

/** An event as the stream carries it (the body in base64). */
const StreamEventSchema = z.object({
  deviceId: z.string(),
  moduleId: z.string().optional(),
  messageSource: z.enum(MESSAGE_SOURCES),
  annotations: z.record(z.string(), z.string()),
  properties: z.record(z.string(), z.string()),
  messageId: z.string().optional(),
  correlationId: z.string().optional(),
  userId: z.string().optional(),
  contentType: z.string().optional(),
  contentEncoding: z.string().optional(),
  body: z.string(),
});

interface AppendClient extends Redis {
  hubemuAppendEvent(next: string, stream: string, partition: number, bytes: number, nowMs: number, maxLength: number, event: string): Promise<number>;
}

export interface SharedEventLogOptions {
  url: string;
  namespace: string;
  processId: string;
  /** The process's own log: every event reaches it through the streams, in the shared order. */
  log: EventLog;
  now: () => number;
  /** Events each partition's stream keeps (approximately): what a process that starts later can still read. */
  maxLength: number;
  logger: Logger;
}

/**
 * The Event Hubs-compatible endpoint's log shared by the processes of a hub (docs/scale-out.md): an
 * event appended through any process is numbered in Redis and added to its partition's stream
 * (`hubemu:{<namespace>}:eh:<partition>`), and every process, the writer included, reads the streams
 * into its own `EventLog` in that order, so a reader gets the same events, sequence numbers and
 * offsets from every process. A process that starts later reads what the streams still hold.
 */
export class SharedEventLog {
  private readonly streams: string[];
  /** The hash that numbers the partitions' events. */
  private readonly nextKey: string;
  private readonly lastIds: string[];
  private closed = false;
  private following: Promise<void> | undefined;

  private constructor(
    private readonly options: SharedEventLogOptions,
    private readonly commands: AppendClient,
    private readonly tail: Redis,
  ) {
    const prefix = `hubemu:{${options.namespace}}:eh:`;
    this.streams = Array.from({ length: options.log.partitionCount }, (_, p) => `${prefix}${p}`);
    this.nextKey = `${prefix}next`;
    this.lastIds = this.streams.map(() => '0-0');
  }

  static async open(options: SharedEventLogOptions): Promise<SharedEventLog> {
    const [commands, tail] = (await connectRedis(options.url, [
      { maxRetriesPerRequest: 2, enableAutoPipelining: true, connectionName: `hubemu-${options.processId}-eventhub` },
      { maxRetriesPerRequest: null, connectionName: `hubemu-${options.processId}-eventhub-tail` },
    ])) as [AppendClient, Redis];
    commands.defineCommand('hubemuAppendEvent', { numberOfKeys: 2, lua: APPEND_SCRIPT });
    const shared = new SharedEventLog(options, commands, tail);
    shared.following = shared.follow();
    return shared;
  }

  /** Resolves once the event is numbered and stored in Redis; 503 ServiceUnavailable when Redis does not answer. */
  async append(input: NewHubEvent): Promise<void> {
    const partition = this.options.log.partitionOf(input.deviceId);
    const event = JSON.stringify({ ...input, body: input.body.toString('base64') });
    try {
      await this.commands.hubemuAppendEvent(this.nextKey, this.streams[partition] as string, partition, eventBytes(input), this.options.now(), this.options.maxLength, event);
    } catch (error) {
      throw new HubError('ServiceUnavailable', `The hub could not store the event in Redis (${errorText(error)}); send it again.`);
    }
  }

  /** Empties the streams (a reset through this process); sequence numbers go on, as the log's `clear` keeps them. */
  async clear(): Promise<void> {
    await this.commands.del(...this.streams);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tail.disconnect();
    await this.following;
    await this.commands.quit().catch(() => undefined);
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await this.tail.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', ...this.streams, ...this.lastIds)) as typeof reply;
      } catch (error) {
        if (this.closed) return;
        this.options.logger.warn({ err: errorText(error) }, 'reading the shared event log failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (const [stream, entries] of reply ?? []) {
        const partition = this.streams.indexOf(stream);
        for (const [id, fields] of entries) {
          this.lastIds[partition] = id;
          this.apply(fields);
        }
      }
      // Let requests run between large batches.
      if (reply) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private apply(fields: string[]): void {
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] as string, fields[i + 1] as string);
    const value = (name: string): string | undefined => values.get(name);
    try {
      const parsed = StreamEventSchema.parse(JSON.parse(value('e') ?? ''));
      const input: NewHubEvent = { ...parsed, body: Buffer.from(parsed.body, 'base64') } as NewHubEvent;
      this.options.log.appendAssigned(input, { sequenceNumber: Number(value('s')), offset: Number(value('o')), enqueuedTimeMs: Number(value('t')) });
    } catch (error) {
      this.options.logger.warn({ err: errorText(error) }, 'an entry of the shared event log could not be read; it is skipped');
    }
  }
}
