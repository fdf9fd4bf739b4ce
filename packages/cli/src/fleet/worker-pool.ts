import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetReport } from '@hubemu/device-agent';
import type { FleetRecorder } from './fleet-recorder.js';
import type { ParentMessage, WorkerInit, WorkerMessage } from './protocol.js';

const WORKER = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));
const STOP_TIMEOUT_MS = 30_000;

interface Worker {
  child: ChildProcess;
  settled: Promise<void>;
  stopped: Promise<FleetReport | undefined>;
}

/** The child processes that run the fleet; their events go to the recorder as they arrive. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly stopping: Array<() => void> = [];

  constructor(private readonly recorder: FleetRecorder) {}

  get size(): number {
    return this.workers.length;
  }

  start(inits: readonly WorkerInit[]): void {
    inits.forEach((init, index) => {
      // Its own process group, so Ctrl-C reaches only the command, which stops the workers itself.
      const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], detached: true });
      let settle: () => void = () => undefined;
      let finish: (report: FleetReport | undefined) => void = () => undefined;
      const settled = new Promise<void>((resolve) => (settle = resolve));
      const stopped = new Promise<FleetReport | undefined>((resolve) => (finish = resolve));
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'batch') this.recorder.record(index, message.events, message);
        else if (message.type === 'settled') settle();
        else if (message.type === 'stopped') finish(message.report);
        else if (message.type === 'fatal') {
          this.recorder.addError(`worker: ${message.message}`, init.devices[0]?.id ?? '');
          settle();
          finish(undefined);
        }
      });
      let stopping = false;
      this.stopping.push(() => (stopping = true));
      child.once('exit', (code, signal) => {
        // A worker that dies takes its devices with it: say so, with which devices.
        if (!stopping) this.recorder.addError(`worker: exited (${signal ?? `code ${code}`}) during the run`, init.devices[0]?.id ?? '');
        settle();
        finish(undefined);
      });
      child.send(init satisfies ParentMessage);
      this.workers.push({ child, settled, stopped });
    });
  }

  /** Resolves once every worker has every device connected or failed. */
  async settled(signal: AbortSignal): Promise<void> {
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all(this.workers.map((w) => w.settled)), aborted]);
  }

  broadcast(message: ParentMessage): void {
    for (const worker of this.workers) if (worker.child.connected) worker.child.send(message);
  }

  /** Sends to the worker that runs `deviceIds` (callers group ids by worker with `owner`). */
  sendTo(index: number, message: ParentMessage): void {
    const worker = this.workers[index];
    if (worker?.child.connected) worker.child.send(message);
  }

  /** Stops every worker (closing its devices) and returns their final reports; kills one that does not answer in 30 s. */
  async stop(): Promise<FleetReport[]> {
    for (const mark of this.stopping) mark();
    this.broadcast({ type: 'stop' });
    const reports = await Promise.all(
      this.workers.map(async (worker) => {
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const report = await worker.stopped;
        clearTimeout(timer);
        return report;
      }),
    );
    return reports.filter((r): r is FleetReport => r !== undefined);
  }
}
