import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startHub, type Hub, type HubOptionsInput } from '@hubemu/hub-emulator';

/** The built `hubemu` binary the CLI tests run. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export function assertCliBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`Build the CLI first (npx tsc -p packages/cli/tsconfig.json): ${BIN} is missing.`);
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json: any;
}

/** Runs the real binary in a child process with only PATH (and `env`) in its environment. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...options.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd: options.cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      let json: unknown;
      try {
        json = stdout.trim() === '' ? undefined : JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

export interface CliTestHub {
  readonly hub: Hub;
  /** The working directory the binary runs in. */
  readonly dir: string;
  /** The hub's CA, written to a file for `--ca`. */
  readonly caPath: string;
  /** Runs the binary against the hub: `prefix`, then `args`, then `--login` (a policy's connection string) and `--ca`. */
  hubemu(args: string[], policy?: string): Promise<Run>;
}

/** A hub on port 0 for a CLI test file: started in `beforeAll` with `options`, stopped (and its directory removed) in `afterAll`. */
export function cliTestHub(options: HubOptionsInput = {}, prefix: string[] = []): CliTestHub {
  let hub: Hub | undefined;
  let dir = '';
  const fixture: CliTestHub = {
    get hub() {
      if (!hub) throw new Error('the hub starts in beforeAll');
      return hub;
    },
    get dir() {
      return dir;
    },
    get caPath() {
      return join(dir, 'ca.pem');
    },
    hubemu: (args, policy = 'iothubowner') => runCli([...prefix, ...args, '--login', fixture.hub.connectionString(policy), '--ca', fixture.caPath], { cwd: dir }),
  };
  beforeAll(async () => {
    assertCliBuilt();
    hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, ...options });
    dir = mkdtempSync(join(tmpdir(), 'hubemu-cli-'));
    writeFileSync(fixture.caPath, hub.caPem as string);
  });
  afterAll(async () => {
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return fixture;
}
