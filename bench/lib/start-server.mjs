// Starts bench/lib/server-process.mjs (the hub, or its bare-aedes floor) in a child process and talks to it over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./server-process.mjs', import.meta.url));

/** Resolves once the server listens: `{ port, ca, key, request(message, replyType), stop() }`. */
export function startServer(kind) {
  const child = fork(SERVER, [kind], { execArgv: ['--expose-gc', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
    child.once('message', (ready) => resolve({ child, ...ready, request, stop: () => child.kill('SIGKILL') }));
  });
}
