import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A hub `hubemu fleet run` started in its own process, so the hub and the simulator are measured apart. */
export interface HubProcess {
  pid: number;
  /** Every process of the hub: the one started, and on a cluster its hub processes (sampled together). */
  pids: number[];
  connectionString: string;
  caPem: string;
  ports: { mqtt: number; https: number; mqttPlain: number };
  /** Called once if the hub exits before stop() (a crash): the run cannot go on. */
  onUnexpectedExit(handler: (reason: string) => void): void;
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;

function field(banner: string, pattern: RegExp, what: string): string {
  const value = pattern.exec(banner)?.[1];
  if (value === undefined) throw new Error(`The hub's banner has no ${what}.`);
  return value;
}

const DIR_PREFIX = 'hubemu-fleet-hub-';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the throwaway data dirs (`hubemu-fleet-hub-<pid>-*`) of fleet commands that no longer run: a command
 * killed outright cannot remove its own, so the next one does. Returns how many went.
 */
export function removeStaleHubDirs(parent = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(parent)) {
    const pid = Number(/^hubemu-fleet-hub-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Starts `hubemu start --in-memory` on free ports (and a throwaway data dir) and reads its banner. With
 * `cluster`, a hub of that many processes sharing their state through that Redis, under a namespace of
 * this run's own (docs/scale-out.md).
 */
export async function startHubProcess(options: { configurationIntervalMs: number; cluster?: { processes: number; redis: string; namespace: string } }): Promise<HubProcess> {
  removeStaleHubDirs();
  const dataDir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const { cluster } = options;
  const state = cluster ? ['--redis', cluster.redis, '--redis-namespace', cluster.namespace, '--processes', String(cluster.processes)] : ['--in-memory'];
  const args = [BIN, 'start', ...state, '--data-dir', dataDir, '--mqtt-port', '0', '--https-port', '0', '--amqp-port', '0', '--mqtt-plain-port', '0'];
  args.push('--log-level', 'warn', '--configuration-interval', String(options.configurationIntervalMs));
  // Its own process group: Ctrl-C in the terminal reaches the fleet command, which stops the hub last. The IPC
  // channel is how the hub knows the command is gone, even when it was killed outright.
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const banner = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`The hub did not start within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Owner connection string:\s+\S+\n/.test(stdout) && (!cluster || /hub processes [\d, ]+\)/.test(stdout))) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The hub exited with ${code} before it was up: ${stderr}`));
    });
  });
  // Keep draining its output so a chatty hub never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const caPath = field(banner, /CA certificate\s+(\S+)/, 'CA path');
  let stopping = false;
  const crashHandlers: Array<(reason: string) => void> = [];
  child.once('exit', (code, signal) => {
    if (stopping) return;
    for (const handler of crashHandlers) handler(`hub: exited (${signal ?? `code ${code}`}) during the run`);
  });
  const workers = (/hub processes ([\d, ]+)\)/.exec(banner)?.[1] ?? '').split(', ').filter(Boolean).map(Number);
  return {
    pid: child.pid ?? 0,
    pids: [child.pid ?? 0, ...workers],
    connectionString: field(banner, /Owner connection string:\s+(\S+)/, 'connection string'),
    caPem: readFileSync(caPath, 'utf8'),
    ports: {
      mqtt: Number(field(banner, /MQTT\/TLS\s+\S+:(\d+)/, 'MQTT port')),
      https: Number(field(banner, /HTTPS\s+https:\/\/[^:]+:(\d+)/, 'HTTPS port')),
      mqttPlain: Number(field(banner, /MQTT \(plain\)\s+\S+:(\d+)/, 'plain MQTT port')),
    },
    onUnexpectedExit(handler) {
      crashHandlers.push(handler);
    },
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      await exited;
      process.removeListener('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
