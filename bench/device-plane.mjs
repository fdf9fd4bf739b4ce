// Device plane benchmark: twin GET and reported-PATCH round trips per second against the bare-aedes
// floor, connect rate of SAS-authenticated devices, and hub heap per connected device.
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { signSasToken, topics, TWIN_RESPONSE_FILTER } from '../packages/shared/dist/index.js';
import { startServer } from './lib/start-server.mjs';
import { round, summarize } from './lib/stats.mjs';

/** Connects devices dev-<from> … dev-<from + count - 1>, `concurrency` at a time, and subscribes them to twin answers. */
export async function connectAll(server, count, concurrency, from = 0) {
  const clients = new Array(count);
  const times = [];
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < count) {
      const i = next++;
      const id = `dev-${from + i}`;
      const t0 = performance.now();
      clients[i] = await mqtt.connectAsync(`mqtts://localhost:${server.port}`, {
        ca: server.ca,
        clientId: id,
        username: `localhost/${id}/?api-version=2021-04-12`,
        password: signSasToken(`localhost/devices/${id}`, server.key, Math.floor(Date.now() / 1000) + 3600),
        protocolVersion: 4,
        reconnectPeriod: 0,
        keepalive: 0,
      });
      times.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.subscribeAsync(TWIN_RESPONSE_FILTER, { qos: 0 })));
  return { clients, perSecond: count / seconds, latency: summarize(times) };
}

/** Every client runs request/response round trips back to back for `seconds`; returns round trips per second. */
export async function roundTrips(clients, seconds, makeRequest) {
  let completed = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(
      (client, index) =>
        new Promise((resolve) => {
          let rid = 0;
          const send = () => {
            if (performance.now() >= deadline) {
              client.removeListener('message', onMessage);
              return resolve();
            }
            rid += 1;
            const [topic, payload] = makeRequest(`${index}-${rid}`, rid);
            client.publish(topic, payload, { qos: 0 });
          };
          const onMessage = () => {
            completed += 1;
            send();
          };
          client.on('message', onMessage);
          send();
        }),
    ),
  );
  return completed / seconds;
}

async function bestOf(n, measure) {
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, await measure());
  return best;
}

export async function run({ smoke }) {
  const clientsCount = smoke ? 50 : 1000;
  const connectCount = smoke ? 200 : 10_000;
  const seconds = smoke ? 0.5 : 4;
  const rows = [];

  // Floor and hub, one after the other, with the same clients and the same topics.
  const results = {};
  for (const kind of ['floor', 'hub', 'hub-durable']) {
    // The durable hub is measured for round trips only (the connect and heap rows use the in-memory hub).
    const count = kind === 'hub-durable' ? clientsCount : connectCount;
    const server = await startServer(kind);
    await server.request({ type: 'createDevices', count }, 'created');
    const before = await server.request({ type: 'heap' }, 'heap');
    const connected = await connectAll(server, count, 100);
    const after = await server.request({ type: 'heap' }, 'heap');
    const sample = connected.clients.slice(0, clientsCount);
    await roundTrips(sample, seconds / 2, (rid) => [topics.twinGet(rid), ' ']); // warm-up, not measured
    // Best of three windows each: the machine is shared, and a window that lost the CPU says nothing about the hub.
    const get = await bestOf(3, () => roundTrips(sample, seconds, (rid) => [topics.twinGet(rid), ' ']));
    const patch = await bestOf(3, () => roundTrips(sample, seconds, (rid, n) => [topics.twinPatchReported(rid), JSON.stringify({ counter: n, status: 'ok' })]));
    results[kind] = { connect: connected, get, patch, heapPerDevice: (after.heapUsed - before.heapUsed) / count, rssPerDevice: (after.rss - before.rss) / count };
    await Promise.all(connected.clients.map((c) => c.endAsync(true)));
    server.stop();
  }
  const { floor, hub, 'hub-durable': durable } = results;
  rows.push(
    { name: `twin GET round trips/s, in-memory hub (${clientsCount} devices)`, value: round(hub.get, 0), unit: 'req/s', floor: round(floor.get, 0), ratio: round(hub.get / floor.get), note: 'target >= 0.6 of the floor' },
    { name: `reported PATCH round trips/s, in-memory hub (${clientsCount} devices)`, value: round(hub.patch, 0), unit: 'req/s', floor: round(floor.patch, 0), ratio: round(hub.patch / floor.patch), note: 'target >= 0.6 of the floor' },
    { name: `reported PATCH round trips/s, durable hub (${clientsCount} devices)`, value: round(durable.patch, 0), unit: 'req/s', floor: round(floor.patch, 0), ratio: round(durable.patch / floor.patch), note: 'every patch written to the state file before the 204' },
    { name: `connect rate, ${connectCount} SAS devices over TLS`, value: round(hub.connect.perSecond, 0), unit: 'conn/s', floor: round(floor.connect.perSecond, 0), ratio: round(hub.connect.perSecond / floor.connect.perSecond), note: `hub connect latency p50 ${round(hub.connect.latency.p50)} ms, p99 ${round(hub.connect.latency.p99)} ms` },
    { name: 'hub heap per connected device', value: round(hub.heapPerDevice / 1024, 1), unit: 'KiB', floor: round(floor.heapPerDevice / 1024, 1), ratio: round(hub.heapPerDevice / floor.heapPerDevice), note: `includes the identity and twin; RSS per device ${round(hub.rssPerDevice / 1024, 1)} KiB` },
  );
  return { title: 'Device plane (MQTT over TLS)', rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
