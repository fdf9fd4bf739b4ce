import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
