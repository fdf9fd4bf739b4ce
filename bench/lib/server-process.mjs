// A child process that runs what the benchmark measures: the hub, or its physical floor (a bare aedes
// broker answering the same request/response topics, and pushing a desired patch to every client on
// request: a rollout's notifications). Run with --expose-gc. Talks to the parent over IPC.
import { createServer } from 'node:tls';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { pathToFileURL } from 'node:url';
import { topics } from '../../packages/shared/dist/index.js';

const kind = process.argv[2];
// The hub of another built checkout when HUBEMU_BENCH_CHECKOUT names one (bench/compare-cpu.mjs), this one's otherwise.
const checkout = process.env.HUBEMU_BENCH_CHECKOUT;
const hubDist = (file) => (checkout ? pathToFileURL(join(checkout, 'packages/hub-emulator/dist', file)).href : new URL(`../../packages/hub-emulator/dist/${file}`, import.meta.url).href);
const { loadOrCreateCertificates, startHub } = await import(hubDist('index.js'));
const KEY = Buffer.alloc(32, 3).toString('base64');

async function startFloor() {
  const tls = loadOrCreateCertificates('localhost');
  const broker = await Aedes.createBroker({
    concurrency: 1000,
    published(packet, client, done) {
      done();
      if (!client) return;
      const rid = /\$rid=([^&]*)/.exec(packet.topic)?.[1];
      if (rid === undefined) return;
      // Same shape as the hub's answers: a GET gets a small twin, a PATCH gets 204 with a version.
      const isGet = packet.topic.startsWith('$iothub/twin/GET/');
      const topic = isGet ? `$iothub/twin/res/200/?$rid=${rid}` : `$iothub/twin/res/204/?$rid=${rid}&$version=2`;
      const payload = isGet ? Buffer.from('{"desired":{"$version":1},"reported":{"$version":1}}') : Buffer.alloc(0);
      setImmediate(() => client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, () => {}));
    },
  });
  const server = createServer({ key: tls.key, cert: tls.cert }, (socket) => broker.handle(socket));
  // The same socket options as the hub (TCP_NODELAY), so the floor is the best this broker can do.
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    ca: tls.caPem,
    createDevices: () => {},
    // What a configuration's pass sends: one desired notification per connected device, 500 at a time,
    // yielding between chunks (the hub's pass yields every 250 twins). Resolves with the epoch ms it began.
    async pushDesired(patch) {
      const startedAt = performance.timeOrigin + performance.now();
      const clients = Object.values(broker.clients);
      const payload = Buffer.from(JSON.stringify({ ...patch, $version: 2 }));
      for (let i = 0; i < clients.length; i += 500) {
        for (const client of clients.slice(i, i + 500)) {
          client.publish({ cmd: 'publish', topic: topics.desiredPatch(2), payload, qos: 0, retain: false, dup: false }, () => {});
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { startedAt, count: clients.length };
    },
  };
}

/**
 * The fault benchmark's modes of one hub (message `faultMode`), measured in turns in the same process:
 * `off`, the admission seam taken out (every plane skips it, as if the hub had no control plane);
 * `empty`, the seam with an empty fault table; `fault`, one fault in force that matches nothing the
 * benchmark sends, so the seam asks the table on every operation.
 */
let switchSeam = (_off) => {};
async function makeSeamSwitchable() {
  const { Admission } = await import(hubDist('faults/admission.js'));
  const own = Object.getOwnPropertyDescriptor(Admission.prototype, 'idle');
  // `off` puts a getter that always says idle in place of the hub's own; `empty` and `fault` run the hub's own, unwrapped.
  switchSeam = (off) => Object.defineProperty(Admission.prototype, 'idle', off ? { get: () => true, configurable: true } : own);
}

async function startTheHub(durable) {
  if (kind === 'hub-faults') await makeSeamSwitchable();
  // The messaging benchmark reads telemetry back through the Event Hubs-compatible endpoint, which keeps what the hub retains.
  const retained = kind === 'hub-messaging' ? 2_000_000 : 0;
  const dataDir = durable ? mkdtempSync(join(tmpdir(), 'hubemu-bench-')) : undefined;
  if (dataDir) process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  // `hub-redis`: one process of a cluster sharing state through the Redis at HUBEMU_BENCH_REDIS (bench/cluster.mjs).
  const redis = kind === 'hub-redis' ? { url: process.env.HUBEMU_BENCH_REDIS, namespace: process.env.HUBEMU_BENCH_NAMESPACE } : undefined;
  const hub = await startHub({
    inMemory: !durable,
    ...(dataDir ? { dataDir } : {}),
    ...(redis ? { redis, processId: `bench-${process.pid}` } : {}),
    mqttPort: 0,
    httpsPort: 0,
    amqpPort: 0,
    trafficBufferSize: 0,
    telemetryBufferSize: retained,
  });
  let created = 0;
  return {
    port: hub.ports.mqtt,
    ca: hub.caPem,
    amqpPort: hub.ports.amqp,
    eventHubConnectionString: kind === 'hub-messaging' ? hub.eventHubConnectionString('service') : undefined,
    faultMode(mode) {
      switchSeam(mode === 'off');
      hub.faults.clear();
      if (mode === 'fault') hub.faults.add({ operation: 'twin.get', device: 'nobody', action: 'drop' });
    },
    async createDevices(n) {
      for (; created < n; created++) hub.createDevice(`dev-${created}`, { primaryKey: KEY, secondaryKey: KEY });
      await hub.settled();
    },
    settled: () => hub.settled(),
  };
}

const server = kind === 'floor' ? await startFloor() : await startTheHub(kind === 'hub-durable');
process.on('message', (message) => {
  if (message.type === 'createDevices') {
    void Promise.resolve(server.createDevices(message.count)).then(() => process.send({ type: 'created' }));
  } else if (message.type === 'settled') {
    void server.settled().then(() => process.send({ type: 'settled' }));
  } else if (message.type === 'pushDesired') {
    void server.pushDesired(message.patch).then((pushed) => process.send({ type: 'pushed', ...pushed }));
  } else if (message.type === 'faultMode') {
    server.faultMode(message.mode);
    process.send({ type: 'faultMode' });
  } else if (message.type === 'cpu') {
    const usage = process.cpuUsage();
    process.send({ type: 'cpu', us: usage.user + usage.system });
  } else if (message.type === 'heap') {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send({ type: 'heap', heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss });
  }
});
process.send({ type: 'ready', port: server.port, ca: server.ca, key: KEY, amqpPort: server.amqpPort, eventHubConnectionString: server.eventHubConnectionString });
