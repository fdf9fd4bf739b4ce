// The hub's CPU time per twin GET and reported-PATCH round trip, for two checkouts and the bare-aedes
// floor, interleaved round after round. CPU time in the serving process varies far less than round trips
// per second on a shared machine; the least of the rounds is the least disturbed.
//   node bench/compare-cpu.mjs <before-checkout> [after-checkout=.] [rounds=5]
// Each checkout must be built (npm run build). Not part of npm run bench: it compares versions.
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { signSasToken, topics, TWIN_RESPONSE_FILTER } from '../packages/shared/dist/index.js';

const SERVER = fileURLToPath(new URL('./lib/cpu-server.mjs', import.meta.url));
const KEY = Buffer.alloc(32, 3).toString('base64');
const CLIENTS = 50;
const PER_WINDOW = 1000;

async function measure(repo, kind) {
  const child = fork(SERVER, [repo, kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise((done) => child.once('message', done));
  const cpu = () =>
    new Promise((done) => {
      child.once('message', (m) => done(m.us));
      child.send({ type: 'cpu' });
    });
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    const id = `dev-${i}`;
    clients.push(
      await mqtt.connectAsync(`mqtts://localhost:${ready.port}`, {
        ca: ready.ca,
        clientId: id,
        username: `localhost/${id}/?api-version=2021-04-12`,
        password: signSasToken(`localhost/devices/${id}`, KEY, Math.floor(Date.now() / 1000) + 3600),
        protocolVersion: 4,
        reconnectPeriod: 0,
        keepalive: 0,
      }),
    );
  }
  await Promise.all(clients.map((c) => c.subscribeAsync(TWIN_RESPONSE_FILTER, { qos: 0 })));
  const trips = (count, make) =>
    Promise.all(
      clients.map(
        (client, index) =>
          new Promise((done) => {
            let n = 0;
            const send = () => {
              if (n >= count) {
                client.removeListener('message', send);
                return done();
              }
              n += 1;
              const [topic, payload] = make(`${index}-${n}`, n);
              client.publish(topic, payload, { qos: 0 });
            };
            client.on('message', send);
            send();
          }),
      ),
    );
  const result = {};
  const requests = { get: (rid) => [topics.twinGet(rid), ' '], patch: (rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n, status: 'ok' })] };
  for (const [name, make] of Object.entries(requests)) {
    await trips(200, make); // warm-up
    const windows = [];
    for (let k = 0; k < 3; k++) {
      const before = await cpu();
      await trips(PER_WINDOW, make);
      windows.push(((await cpu()) - before) / (CLIENTS * PER_WINDOW));
    }
    result[name] = Math.min(...windows);
  }
  await Promise.all(clients.map((c) => c.endAsync(true)));
  child.kill('SIGKILL');
  return result;
}

const before = resolve(process.argv[2] ?? '');
const after = resolve(process.argv[3] ?? '.');
const rounds = Number(process.argv[4] ?? 5);
if (!process.argv[2]) throw new Error('usage: node bench/compare-cpu.mjs <before-checkout> [after-checkout] [rounds]');
const runs = { floor: [], before: [], after: [] };
for (let r = 0; r < rounds; r++) {
  runs.floor.push(await measure(after, 'floor'));
  runs.before.push(await measure(before, 'hub'));
  runs.after.push(await measure(after, 'hub'));
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
}
const least = (list, op) => Math.round(Math.min(...list.map((x) => x[op])) * 10) / 10;
const summary = Object.fromEntries(['get', 'patch'].map((op) => [op, { floorUs: least(runs.floor, op), beforeUs: least(runs.before, op), afterUs: least(runs.after, op), change: `${Math.round((least(runs.after, op) / least(runs.before, op) - 1) * 1000) / 10} %` }]));
console.log(JSON.stringify({ before, after, rounds, cpuMicrosecondsPerRoundTrip: summary }, null, 2));
