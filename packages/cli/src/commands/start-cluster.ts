import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@hubemu/shared';

/**
 * `hubemu start --processes N --redis URL` (docs/scale-out.md): this process becomes a thin primary that
 * forks N hub processes with Node's `cluster` module. They serve the same ports (the primary hands each
 * new connection to one of them), share their state through Redis and one set of TLS ticket keys, and
 * are started again when one dies. The primary prints one banner once every process is up.
 */

/** What a hub process tells the primary once its hub is up. */
interface ReadyMessage {
  type: 'hubemu:ready';
  banner: string;
}

/** What a hub process tells the primary when its hub could not start. */
interface FailedMessage {
  type: 'hubemu:failed';
  message: string;
}

const TICKET_KEYS_ENV = 'HUBEMU_TLS_TICKET_KEYS';
/** More restarts than this within RESTART_WINDOW_MS is a crash loop: the primary stops everything. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 30_000;

export function isHubWorker(): boolean {
  return cluster.isWorker;
}

/** In a hub process of a cluster: its name, and the ticket keys every process of the cluster uses. */
export function workerIdentity(): { processId: string; tlsTicketKeys: string | undefined } {
  return { processId: `${hostname()}-w${cluster.worker?.id ?? 0}`, tlsTicketKeys: process.env[TICKET_KEYS_ENV] };
}

/** Tells the primary how the hub process's start went. */
export function reportToPrimary(outcome: { banner: string } | { error: unknown }): void {
  const message: ReadyMessage | FailedMessage =
    'banner' in outcome ? { type: 'hubemu:ready', banner: outcome.banner } : { type: 'hubemu:failed', message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };
  process.send?.(message);
}

function isMessage(value: unknown): value is ReadyMessage | FailedMessage {
  return typeof value === 'object' && value !== null && 'type' in value && (value.type === 'hubemu:ready' || value.type === 'hubemu:failed');
}

/**
 * Runs the primary: forks `processes` hub processes (each re-runs this command; `isHubWorker()` is then
 * true), prints the first one's banner with the list of processes, restarts a process that dies, and
 * stops them all on SIGINT/SIGTERM. Resolves when the cluster is up; the process exits when it stops.
 */
export async function runPrimary(processes: number, redisUrl: string, logger: Logger): Promise<void> {
  const env = { [TICKET_KEYS_ENV]: randomBytes(48).toString('base64') };
  let stopping = false;
  const restarts: number[] = [];

  const fork = (): Worker => cluster.fork(env);
  const started = new Promise<string>((resolve, reject) => {
    let ready = 0;
    let banner = '';
    cluster.on('message', (_worker, message: unknown) => {
      if (!isMessage(message)) return;
      if (message.type === 'hubemu:failed') return reject(new Error(message.message));
      banner ||= message.banner;
      if (++ready === processes) resolve(banner);
    });
  });

  const stopAll = async (code: number): Promise<never> => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    process.exit(code);
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && (restarts[0] as number) < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > MAX_RESTARTS) {
      logger.error({ restarts: restarts.length }, `hub processes keep dying (${restarts.length} in ${RESTART_WINDOW_MS / 1000} s): stopping`);
      void stopAll(1);
      return;
    }
    const replacement = fork();
    logger.warn({ pid: worker.process.pid, code, signal, replacement: replacement.process.pid }, 'a hub process died: started another');
  });
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  for (let i = 0; i < processes; i++) fork();
  let banner: string;
  try {
    banner = await started;
  } catch (error) {
    await stopAll(1).catch(() => undefined);
    throw error;
  }
  const pids = Object.values(cluster.workers ?? {})
    .map((w) => w?.process.pid)
    .filter((pid) => pid !== undefined);
  process.stdout.write(`${banner.replace(/\n$/, '')}\n  processes        ${processes} sharing state through ${redisUrl} (primary ${process.pid}; hub processes ${pids.join(', ')})\n\n`);
}
