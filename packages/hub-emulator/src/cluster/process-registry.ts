import { Redis } from 'ioredis';
import { z } from 'zod';

export interface ProcessRegistryOptions {
  url: string;
  /** Keys live under `hubemu:{<namespace>}:`, as the store's. */
  namespace: string;
  processId: string;
  /** How long a process counts as alive, and the leader as leader, without renewing. Renewed every third of it. */
  leaseMs: number;
  /** What others learn about this process (`/emulator/cluster`). */
  info?: Record<string, unknown>;
}

const ProcessInfoSchema = z.object({ processId: z.string(), pid: z.number(), startedAt: z.string() }).passthrough();
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

/** What the core knows of the cluster it belongs to (docs/scale-out.md). */
export interface ClusterMembership {
  readonly processId: string;
  /** True while this process holds the leader's lease: it runs jobs, configuration passes and the sweep of dead processes' devices. */
  readonly isLeader: boolean;
  onLeaderChange(listener: (leading: boolean) => void): void;
  /** Told after every round of renewing and reading who is alive (every third of the lease). */
  onRound(listener: () => void): void;
  /** Whether `processId` may be alive: it renewed within the lease, or started too recently to have been seen. */
  isAlive(processId: string): boolean;
  /** Whether `processId` is surely dead: missing from the last two readings of who is alive. */
  isGone(processId: string): boolean;
}

/** Renews the lease only while it still names this process: a compare-and-expire. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Gives the lease up only while it still names this process. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

interface LeaseClient extends Redis {
  hubemuRenew(key: string, processId: string, ms: number): Promise<number>;
  hubemuRelease(key: string, processId: string): Promise<number>;
}

/**
 * The processes of a cluster (docs/scale-out.md, "Processes and the leader"): each renews a key that
 * says it is alive, and one of them holds the leader's lease (`SET NX PX`, renewed by compare-and-expire).
 * The leader runs what must run once for the cluster: jobs, configuration passes, C2D timers and the
 * sweep of identities whose process died. A leader that cannot renew in time stops leading before its
 * lease can pass to another process; a process whose key expired is dead to the others.
 */
export class ProcessRegistry implements ClusterMembership {
  private readonly redis: LeaseClient;
  private readonly prefix: string;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenewed = 0;
  private alive = new Map<string, ProcessInfo>();
  /** Who was alive at the reading before the last; undefined until two readings were made. */
  private before: Set<string> | undefined;
  private readings = 0;
  private ticking = false;
  /** Every process seen alive since this one started. */
  private readonly seen = new Set<string>();
  private readonly leaderListeners: Array<(leading: boolean) => void> = [];
  private readonly roundListeners: Array<() => void> = [];
  private closed = false;

  private constructor(private readonly options: ProcessRegistryOptions) {
    this.prefix = `hubemu:{${options.namespace}}:`;
    this.redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: `hubemu-${options.processId}-registry` }) as LeaseClient;
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('hubemuRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.redis.defineCommand('hubemuRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }

  static async open(options: ProcessRegistryOptions): Promise<ProcessRegistry> {
    const registry = new ProcessRegistry(options);
    await registry.redis.connect();
    await registry.tick();
    registry.timer = setInterval(() => void registry.tick(), Math.max(100, Math.floor(options.leaseMs / 3))).unref();
    return registry;
  }

  get processId(): string {
    return this.options.processId;
  }

  /**
   * True while this process holds the lease. A leader that has not renewed within two thirds of its
   * lease (its process stalled: a long pause, a blocked loop) stops leading as soon as it is asked,
   * before doing any more of the leader's work, since the lease may have passed on.
   */
  get isLeader(): boolean {
    if (this.leading && Date.now() - this.lastRenewed > (this.options.leaseMs * 2) / 3) {
      this.leading = false;
      queueMicrotask(() => this.tell(false));
    }
    return this.leading;
  }

  /** Told when this process becomes leader (true) or stops being it (false). */
  onLeaderChange(listener: (leading: boolean) => void): void {
    this.leaderListeners.push(listener);
  }

  onRound(listener: () => void): void {
    this.roundListeners.push(listener);
  }

  /**
   * Whether `processId` renewed its key within the lease as of the last reading, or was never seen: a
   * process that started since is not known yet, and one long dead fails its callers when nobody
   * receives what is sent to it.
   */
  isAlive(processId: string): boolean {
    return processId === this.options.processId || this.alive.has(processId) || !this.seen.has(processId);
  }

  isGone(processId: string): boolean {
    return processId !== this.options.processId && this.before !== undefined && !this.before.has(processId) && !this.alive.has(processId);
  }

  processes(): ProcessInfo[] {
    return [...this.alive.values()].sort((x, y) => x.processId.localeCompare(y.processId));
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** One round: renew this process's key, keep or try the lease, then read who is alive. */
  private async tick(): Promise<void> {
    if (this.closed || this.ticking) return;
    this.ticking = true;
    try {
      await this.round();
    } finally {
      this.ticking = false;
    }
  }

  private async round(): Promise<void> {
    const { processId, leaseMs } = this.options;
    const started = Date.now();
    try {
      const info = JSON.stringify({ processId, pid: process.pid, startedAt: new Date(started).toISOString(), leader: this.leading, ...this.options.info });
      await this.redis.set(this.key(`proc:${processId}`), info, 'PX', leaseMs);
      let leading: boolean;
      if (this.leading) leading = (await this.redis.hubemuRenew(this.key('leader'), processId, leaseMs)) === 1;
      else leading = (await this.redis.set(this.key('leader'), processId, 'PX', leaseMs, 'NX')) === 'OK';
      // Who is alive is read before leading starts: the new leader's first sweep goes by a fresh reading.
      // A reading that fails keeps the last one: it only tells who may be gone.
      await this.readAlive().catch(() => undefined);
      // A lease taken or renewed longer ago than two thirds of it (this process stalled meanwhile) is not trusted:
      // another process may have it by now, so this one does not lead on it, and waits for it to lapse.
      const trusted = leading && Date.now() - started <= (leaseMs * 2) / 3;
      if (trusted) this.lastRenewed = started;
      this.setLeading(trusted);
    } catch {
      // Redis did not answer: a leader that has not renewed for two thirds of its lease stands down before it can lapse.
      if (this.leading && Date.now() - this.lastRenewed > (leaseMs * 2) / 3) this.setLeading(false);
      return;
    }
    for (const listener of this.roundListeners) listener();
  }

  private async readAlive(): Promise<void> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', this.key('proc:*'), 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const values = keys.length ? await this.redis.mget(...keys) : [];
    const alive = new Map<string, ProcessInfo>();
    for (const raw of values) {
      if (!raw) continue;
      const parsed = ProcessInfoSchema.safeParse(JSON.parse(raw));
      if (parsed.success) alive.set(parsed.data.processId, parsed.data);
    }
    this.before = this.readings++ > 0 ? new Set(this.alive.keys()) : undefined;
    this.alive = alive;
    for (const id of alive.keys()) this.seen.add(id);
  }


  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.tell(leading);
  }

  private tell(leading: boolean): void {
    for (const listener of this.leaderListeners) listener(leading);
  }

  /** Stops renewing; gives the lease and the liveness key up so another process takes over at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.setLeading(false);
    try {
      await this.redis.hubemuRelease(this.key('leader'), this.options.processId);
      await this.redis.del(this.key(`proc:${this.options.processId}`));
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
