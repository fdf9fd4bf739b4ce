import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Runs the tutorials' commands (docs/tutorials) the way a reader types them, from the clone's root:
 * `node docs/tutorials/code/...` and `npx hubemu ...` (the built CLI: `npx` itself is left out, it
 * only finds node_modules/.bin/hubemu). Every command run is recorded, so a test can check that it ran
 * every command its page shows.
 */
export const REPO = fileURLToPath(new URL('..', import.meta.url));
const HUBEMU = fileURLToPath(new URL('../packages/cli/bin/hubemu.js', import.meta.url));

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** A long-running tutorial process (a device app): its output so far, and a way to wait for a line of it. */
export interface Running {
  readonly output: () => string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export class TutorialRunner {
  readonly ran = new Set<string>();

  /** `env`: the variables the page tells the reader to export (connection strings, NODE_EXTRA_CA_CERTS). */
  constructor(private readonly env: Record<string, string>) {}

  /** Runs one command of a page to its end. */
  run(command: string, env: Record<string, string> = {}): Promise<Output> {
    const [file, args] = this.argv(command);
    return new Promise((resolve) => {
      execFile(file, args, { cwd: REPO, env: this.childEnv(env), timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Starts one command of a page that runs until stopped (a device app). */
  start(command: string, env: Record<string, string> = {}): Running {
    const [file, args] = this.argv(command);
    const child: ChildProcess = spawn(file, args, { cwd: REPO, env: this.childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const listeners = new Set<() => void>();
    const append = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const listener of listeners) listener();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      output: () => output,
      waitForOutput(pattern, timeoutMs = 30_000) {
        return new Promise((resolve, reject) => {
          const check = (): void => {
            if (!pattern.test(output)) return;
            done();
            resolve();
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`${command} did not print ${pattern} in ${timeoutMs} ms; it printed:\n${output}`));
          }, timeoutMs);
          const done = (): void => {
            clearTimeout(timer);
            listeners.delete(check);
          };
          listeners.add(check);
          check();
        });
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  }

  private argv(command: string): [string, string[]] {
    this.ran.add(command);
    const words = splitShellWords(command);
    if (words[0] === 'node') return [process.execPath, words.slice(1)];
    if (words[0] === 'npx' && words[1] === 'hubemu') return [process.execPath, [HUBEMU, ...words.slice(2)]];
    throw new Error(`not a tutorial command: ${command}`);
  }

  private childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, ...this.env, ...env };
  }
}

/** The `node docs/tutorials/...` and `npx hubemu ...` commands in a page's sh blocks, but `npx hubemu start`. */
export function commandsOf(page: string): string[] {
  const text = readFileSync(new URL(`../docs/tutorials/${page}`, import.meta.url), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => (line.startsWith('node docs/tutorials/') || line.startsWith('npx hubemu ')) && !line.startsWith('npx hubemu start'));
}

/** Splits a command line as sh does for the quoting the pages use: '...' and "..." (no escapes, no variables). */
function splitShellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}
