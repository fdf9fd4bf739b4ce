import type { Logger } from '@hubemu/shared';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { closePubSub, openPubSub, parseMessage } from './pub-sub.js';
import { errorText } from '../store/log-writes.js';

/** One event as the dashboard's stream sends it, from the process where it happened. */
const SharedEventSchema = z.object({ from: z.string(), name: z.string(), data: z.unknown() });

/** How often a process asks whether any other one has a dashboard listening. */
const CHECK_MS = 1_000;

export interface ClusterEventsDeps {
  url: string;
  namespace: string;
  processId: string;
  logger: Logger;
}

export type SharedEventListener = (name: string, data: unknown) => void;

/**
 * The dashboard's live events across the processes of a hub (docs/scale-out.md): a process with a
 * dashboard stream open subscribes to one Redis pub/sub channel, and every process publishes its events
 * there while some other process listens (asked every CHECK_MS), so a dashboard on any process sees the
 * whole hub. Nothing is published while no dashboard is open.
 */
export class ClusterEvents {
  private readonly listeners = new Set<SharedEventListener>();
  /** Other processes listening, as of the last check. */
  private others = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly deps: ClusterEventsDeps,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    this.timer = setInterval(() => void this.check(), CHECK_MS).unref();
  }

  static async open(deps: ClusterEventsDeps): Promise<ClusterEvents> {
    const { publisher, subscriber } = await openPubSub(deps.url, `${deps.processId}-events`);
    const events = new ClusterEvents(deps, publisher, subscriber);
    subscriber.on('message', (_channel: string, text: string) => events.receive(text));
    await events.check();
    return events;
  }

  /** Whether some other process has a dashboard listening: only then is an event worth rendering and publishing. */
  get wanted(): boolean {
    return this.others > 0;
  }

  publish(name: string, data: unknown): void {
    if (!this.wanted) return;
    this.publisher.publish(this.channel, JSON.stringify({ from: this.deps.processId, name, data })).catch(() => undefined);
  }

  /** Receives the other processes' events until the returned function is called. */
  listen(listener: SharedEventListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.subscriber.subscribe(this.channel).catch((error: unknown) => this.warn(error));
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.subscriber.unsubscribe(this.channel).catch((error: unknown) => this.warn(error));
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.listeners.clear();
    await closePubSub({ publisher: this.publisher, subscriber: this.subscriber });
  }

  private get channel(): string {
    return `hubemu:{${this.deps.namespace}}:events`;
  }

  private async check(): Promise<void> {
    try {
      const [, count] = (await this.publisher.pubsub('NUMSUB', this.channel)) as [string, number];
      this.others = Number(count) - (this.listeners.size > 0 ? 1 : 0);
    } catch {
      // Redis away: keep the last answer; the store reports the outage.
    }
  }

  private receive(text: string): void {
    const event = parseMessage(SharedEventSchema, text, this.deps.logger, 'a dashboard event from another hub process');
    if (!event || event.from === this.deps.processId) return;
    for (const listener of this.listeners) listener(event.name, event.data);
  }

  private warn(error: unknown): void {
    this.deps.logger.warn({ err: errorText(error) }, 'the dashboard events of the other hub processes');
  }
}
