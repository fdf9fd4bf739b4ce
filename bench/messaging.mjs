// Messaging benchmark. Telemetry read back: devices publish over MQTT/TLS and a reader in its own process
// reads every message through the hub's Event Hubs-compatible endpoint with Microsoft's @azure/event-hubs;
// the floor is the same devices publishing to a bare aedes broker with an MQTT subscriber reading them.
// C2D round trips: a service sends over AMQP/TLS (rhea, CBS put-token, /messages/devicebound) and the
// device receives over MQTT (QoS 1, its PUBACK completes the message), one message in flight per device;
// the floor is the bare broker carrying the same message from a service MQTT client to the device.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import rhea from 'rhea';
import { signSasToken, topics, WELL_KNOWN_POLICIES } from '../packages/shared/dist/index.js';
import { connectAll } from './device-plane.mjs';
import { startServer } from './lib/start-server.mjs';
import { round } from './lib/stats.mjs';

const READER = fileURLToPath(new URL('./lib/reader-process.mjs', import.meta.url));
const SERVICE = WELL_KNOWN_POLICIES.find((p) => p.name === 'service');
const now = () => performance.timeOrigin + performance.now();

/** Starts the reader child (trusting the server's CA the way a user does) and waits until it reads. */
async function startReader(mode, server) {
  const dir = mkdtempSync(join(tmpdir(), 'hubemu-bench-ca-'));
  writeFileSync(join(dir, 'ca.pem'), server.ca);
  const child = fork(READER, [mode], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // The reader's next message of `type`; fails, rather than waits for ever, when the reader exits first.
  const next = (type) =>
    new Promise((resolve, reject) => {
      const exited = (code, signal) => reject(new Error(`the ${mode} reader exited (${signal ?? code}) before it said ${type}`));
      const on = (m) => {
        if (m.type !== type) return;
        child.off('message', on).off('exit', exited);
        resolve(m);
      };
      child.on('message', on).on('exit', exited);
    });
  await next('ready');
  child.send({ type: 'start', port: server.port, ca: server.ca, connectionString: server.eventHubConnectionString });
  await next('started');
  let total = 0;
  return {
    /** Resolves with the time the reader had read `count` more messages (it counts from its start, so none is missed). */
    expect(count) {
      total += count;
      const done = next('done');
      child.send({ type: 'expect', total });
      return done;
    },
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every device publishes `perDevice` QoS 1 messages; resolves with messages per second until the reader had them all. */
async function telemetryRate(clients, reader, perDevice) {
  const total = clients.length * perDevice;
  const done = reader.expect(total);
  const started = now();
  const body = JSON.stringify({ temperature: 21.5, humidity: 40 });
  await Promise.all(
    clients.map(async (client, i) => {
      for (let n = 0; n < perDevice; n++) await client.publishAsync(topics.telemetry(`dev-${i}`, { seq: String(n) }), body, { qos: 1 });
    }),
  );
  const { at } = await done;
  return total / ((at - started) / 1000);
}

/** A service sender over AMQP/TLS: CBS put-token for the hub, then one sender to /messages/devicebound. */
async function amqpSender(server) {
  const container = rhea.create_container();
  const connection = container.connect({ host: 'localhost', port: server.amqpPort, transport: 'tls', ca: server.ca, servername: 'localhost', reconnect: false });
  connection.on('disconnected', () => {}); // the server is killed at the end of a run: not worth a log line
  await new Promise((resolve, reject) => {
    connection.once('connection_open', resolve);
    connection.once('connection_error', reject);
  });
  const cbs = connection.open_sender('$cbs');
  const replies = connection.open_receiver({ source: { address: '$cbs' } });
  const token = signSasToken('localhost', SERVICE.primaryKey, Math.floor(Date.now() / 1000) + 3600, 'service');
  await new Promise((resolve, reject) => {
    replies.once('message', ({ message }) => (message.application_properties['status-code'] === 200 ? resolve() : reject(new Error(String(message.application_properties['status-description'])))));
    cbs.once('sendable', () => cbs.send({ message_id: 'bench-cbs', reply_to: 'cbs', body: token, application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: 'localhost' } }));
  });
  const sender = connection.open_sender({ target: { address: '/messages/devicebound' } });
  await new Promise((resolve) => sender.once('sendable', resolve));
  return {
    send: (deviceId, body) => sender.send({ to: `/devices/${encodeURIComponent(deviceId)}/messages/devicebound`, body: rhea.message.data_section(Buffer.from(body)) }),
    close: () => connection.close(),
  };
}

/** Each device receives a message and the next is sent for it at once, for `seconds`; resolves with round trips per second. */
async function c2dRate(clients, send, seconds) {
  let completed = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(
      (client, i) =>
        new Promise((resolve) => {
          const onMessage = () => {
            completed += 1;
            if (performance.now() >= deadline) {
              client.off('message', onMessage);
              return resolve();
            }
            send(`dev-${i}`, 'reboot');
          };
          client.on('message', onMessage);
          send(`dev-${i}`, 'reboot');
        }),
    ),
  );
  return completed / seconds;
}

export async function run({ smoke }) {
  const devices = smoke ? 20 : 200;
  const perDevice = smoke ? 10 : 200;
  const seconds = smoke ? 0.5 : 4;
  const results = {};
  for (const kind of ['floor', 'hub-messaging']) {
    const server = await startServer(kind);
    await server.request({ type: 'createDevices', count: devices }, 'created');
    const { clients } = await connectAll(server, devices, 50);
    const reader = await startReader(kind === 'floor' ? 'mqtt' : 'eventhubs', server);
    await telemetryRate(clients, reader, Math.ceil(perDevice / 10)); // warm-up, not measured
    const telemetry = await telemetryRate(clients, reader, perDevice);
    reader.stop();

    await Promise.all(clients.map((client, i) => client.subscribeAsync(`devices/dev-${i}/messages/devicebound/#`, { qos: 1 })));
    let send;
    let close;
    if (kind === 'floor') {
      const service = await mqtt.connectAsync(`mqtts://localhost:${server.port}`, { ca: server.ca, clientId: 'service', protocolVersion: 4, reconnectPeriod: 0 });
      send = (deviceId, body) => service.publish(`devices/${deviceId}/messages/devicebound/`, body, { qos: 1 });
      close = () => service.endAsync(true);
    } else {
      ({ send, close } = await amqpSender(server));
    }
    await c2dRate(clients, send, seconds / 2); // warm-up
    const c2d = await c2dRate(clients, send, seconds);
    await close();
    results[kind] = { telemetry, c2d };
    await Promise.all(clients.map((c) => c.endAsync(true)));
    server.stop();
  }
  const { floor, 'hub-messaging': hub } = results;
  return {
    title: 'Messaging (telemetry read-back, C2D)',
    intro:
      'Telemetry: devices publish over MQTT/TLS (QoS 1) and a reader in its own process reads every message with `@azure/event-hubs` from the Event Hubs-compatible endpoint (AMQP/TLS); the floor is the same devices and a subscriber on a bare aedes broker. C2D: a service sends over AMQP/TLS to `/messages/devicebound`, the device receives over MQTT and its PUBACK completes the message; the floor is a service MQTT client publishing to the device through the bare broker. Read the ratios knowing that the floor speaks MQTT on both sides: a CPU profile of the hub during this benchmark puts about a sixth of its time in rhea (AMQP encoding and decoding, frame by frame) and about a tenth in socket writes, and the Event Hubs reader decodes AMQP on the same two cores.',
    rows: [
      { name: `telemetry read back, ${devices} devices x ${perDevice} messages`, value: round(hub.telemetry, 0), unit: 'msg/s', floor: round(floor.telemetry, 0), ratio: round(hub.telemetry / floor.telemetry), note: 'through the hub and the Event Hubs-compatible endpoint to the reader' },
      { name: `C2D round trips, ${devices} devices, one in flight each`, value: round(hub.c2d, 0), unit: 'msg/s', floor: round(floor.c2d, 0), ratio: round(hub.c2d / floor.c2d), note: 'sent over AMQP, queued, delivered over MQTT, completed by PUBACK' },
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
