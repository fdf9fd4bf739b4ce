// Starts bench/lib/server-process.mjs (the hub, or its bare-aedes floor) in a child process and talks to it over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./server-process.mjs', import.meta.url));

/**
 * Resolves once the server listens: `{ port, ca, key, request(message, replyType), cpuMicros(), stop() }`.
 * `checkout`: run the hub of another built checkout of hubemu (bench/compare-cpu.mjs).
 */
export function startServer(kind, { checkout } = {}) {
  const env = checkout ? { ...process.env, HUBEMU_BENCH_CHECKOUT: checkout } : process.env;
  const child = fork(SERVER, [kind], { env, execArgv: ['--expose-gc', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const request = (message, replyType) =>
    new Promise((resolve) => {
      const onMessage = (reply) => {
        if (reply.type !== replyType) return;
        child.off('message', onMessage);
        resolve(reply);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // The server process's CPU time so far (user + system, µs): steadier than wall time on a shared machine.
    const cpuMicros = async () => (await request({ type: 'cpu' }, 'cpu')).us;
    child.once('message', (ready) => resolve({ child, ...ready, request, cpuMicros, stop: () => child.kill('SIGKILL') }));
  });
}
