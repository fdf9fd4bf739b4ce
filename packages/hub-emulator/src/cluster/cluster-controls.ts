import { randomUUID } from 'node:crypto';
import { TrafficFilterSchema, TrafficPageSchema, type Logger, type TrafficFilter, type TrafficPage } from '@hubemu/shared';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClockControl } from '../control/clock-control.js';
import type { FaultControls } from '../control/faults-router.js';
import type { FaultService } from '../faults/fault-service.js';
import { closePubSub, openPubSub, parseMessage } from './pub-sub.js';
import { errorText } from '../store/log-writes.js';

/** What one process asks all the others to do for a test control (docs/scale-out.md, "Test controls"). */
const ActionSchema = z.discriminatedUnion('op', [
  /** Add this fault (as added where it was asked for, id included). */
  z.object({ op: z.literal('faultAdd'), fault: z.record(z.string(), z.unknown()) }),
  /** Clear one fault, or all of them. */
  z.object({ op: z.literal('faultsClear'), id: z.string().optional() }),
  /** Set the test clock to where it was moved. */
  z.object({ op: z.literal('clockSet'), setTo: z.number() }),
  /** Answer with this process's traffic record. */
  z.object({ op: z.literal('traffic'), filter: TrafficFilterSchema }),
]);
type Action = z.infer<typeof ActionSchema>;

const MessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), from: z.string(), rid: z.string(), action: ActionSchema }),
  z.object({ kind: z.literal('reply'), rid: z.string(), process: z.string(), page: TrafficPageSchema.optional(), error: z.string().optional() }),
]);
type Message = z.infer<typeof MessageSchema>;
type Reply = Extract<Message, { kind: 'reply' }>;

/** How long a control waits for the other processes' answers. */
const ANSWER_MS = 2_000;

export interface ClusterControlsDeps {
  url: string;
  namespace: string;
  processId: string;
  faults: FaultService;
  clock: ClockControl;
  traffic: (filter: TrafficFilter) => TrafficPage;
  logger: Logger;
}

/**
 * The test controls of a hub of several processes (docs/scale-out.md): a fault added or cleared, or a
 * test clock moved, through one process is done on every live process before the control is answered,
 * and the traffic record read through one is every process's, merged by time. Requests go to all
 * processes on one Redis pub/sub channel, answers to the asker's own.
 */
export class ClusterControls {
  private readonly waiting = new Map<string, { replies: Reply[]; expected: number; done: () => void }>();

  private constructor(
    private readonly deps: ClusterControlsDeps,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {}

  static async open(deps: ClusterControlsDeps): Promise<ClusterControls> {
    const { publisher, subscriber } = await openPubSub(deps.url, `${deps.processId}-controls`);
    const controls = new ClusterControls(deps, publisher, subscriber);
    await subscriber.subscribe(controls.everyone, controls.own(deps.processId));
    subscriber.on('message', (_channel: string, text: string) => void controls.receive(text));
    return controls;
  }

  /** The faults as the control plane uses them: adds and clears reach every process before they are answered. */
  faults(): FaultControls {
    const { faults } = this.deps;
    return {
      add: async (input) => {
        const fault = faults.add(input);
        // The definition as given, with the id this process gave it: every process holds the fault under one id.
        await this.ask({ op: 'faultAdd', fault: { ...(input as Record<string, unknown>), id: fault.id } });
        return fault;
      },
      list: () => faults.list(),
      clear: async (id) => {
        const cleared = faults.clear(id);
        await this.ask({ op: 'faultsClear', ...(id === undefined ? {} : { id }) });
        return cleared;
      },
    };
  }

  /** The test clock as the control plane uses it: every process's clock moves with this one's. */
  clock(): ClockControl {
    const { clock } = this.deps;
    return {
      ...clock,
      move: async (move) => {
        const state = await clock.move(move);
        await this.ask({ op: 'clockSet', setTo: Date.parse(state.now) });
        return state;
      },
    };
  }

  /** Every live process's traffic record, this one's first asked, merged by time (each record names its process). */
  async traffic(filter: TrafficFilter): Promise<TrafficPage> {
    const pages = [this.named(this.deps.traffic(filter), this.deps.processId), ...(await this.ask({ op: 'traffic', filter })).flatMap((r) => (r.page ? [this.named(r.page, r.process)] : []))];
    const records = pages.flatMap((page) => page.records).sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
    return { records, dropped: pages.reduce((sum, page) => sum + page.dropped, 0) };
  }

  async close(): Promise<void> {
    for (const wait of this.waiting.values()) wait.done();
    await closePubSub({ publisher: this.publisher, subscriber: this.subscriber });
  }

  private get everyone(): string {
    return `hubemu:{${this.deps.namespace}}:controls`;
  }

  private own(processId: string): string {
    return `${this.everyone}:${processId}`;
  }

  private named(page: TrafficPage, process: string): TrafficPage {
    return { ...page, records: page.records.map((record) => ({ ...record, process })) };
  }

  /** Asks every other process and resolves with their answers once all that received the request answered (or after ANSWER_MS). */
  private async ask(action: Action): Promise<Reply[]> {
    const rid = randomUUID();
    const replies: Reply[] = [];
    const answered = new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), ANSWER_MS);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiting.delete(rid);
        resolve();
      };
      this.waiting.set(rid, { replies, expected: Number.POSITIVE_INFINITY, done: finish });
    });
    const message: Message = { kind: 'request', from: this.deps.processId, rid, action };
    try {
      // Every process subscribes to the channel, this one included: the others are one fewer.
      const receivers = await this.publisher.publish(this.everyone, JSON.stringify(message));
      const wait = this.waiting.get(rid);
      if (wait) {
        wait.expected = receivers - 1;
        if (replies.length >= wait.expected) wait.done();
      }
    } catch (error) {
      this.deps.logger.warn({ err: errorText(error) }, 'could not reach the other hub processes');
      this.waiting.get(rid)?.done();
    }
    await answered;
    for (const reply of replies) if (reply.error) this.deps.logger.warn({ process: reply.process, op: action.op, err: reply.error }, 'another hub process could not carry out a test control');
    return replies;
  }

  private async receive(text: string): Promise<void> {
    const message = parseMessage(MessageSchema, text, this.deps.logger, 'a test control from another hub process');
    if (!message) return;
    if (message.kind === 'reply') {
      const wait = this.waiting.get(message.rid);
      if (!wait) return;
      wait.replies.push(message);
      if (wait.replies.length >= wait.expected) wait.done();
      return;
    }
    if (message.from === this.deps.processId) return;
    const reply: Reply = { kind: 'reply', rid: message.rid, process: this.deps.processId };
    try {
      const page = await this.carryOut(message.action);
      if (page) reply.page = page;
    } catch (error) {
      reply.error = errorText(error);
    }
    await this.publisher.publish(this.own(message.from), JSON.stringify(reply)).catch(() => undefined);
  }

  private async carryOut(action: Action): Promise<TrafficPage | undefined> {
    const { faults, clock } = this.deps;
    switch (action.op) {
      case 'faultAdd':
        faults.add(action.fault);
        return undefined;
      case 'faultsClear':
        if (action.id === undefined || faults.list().some((f) => f.id === action.id)) faults.clear(action.id);
        return undefined;
      case 'clockSet':
        await clock.move({ setTo: action.setTo });
        return undefined;
      case 'traffic':
        return this.deps.traffic(action.filter);
    }
  }
}
