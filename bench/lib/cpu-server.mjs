// A child process for bench/compare-cpu.mjs: the hub of one checkout (argv[2], a repository directory),
// or the bare-aedes floor, answering twin GET and reported PATCH; reports its CPU time over IPC.
const [repo, kind] = process.argv.slice(2);
const { startHub, loadOrCreateCertificates } = await import(`${repo}/packages/hub-emulator/dist/index.js`);
const { createServer } = await import('node:tls');
const { once } = await import('node:events');
const KEY = Buffer.alloc(32, 3).toString('base64');

async function floor() {
  const { Aedes } = await import('aedes');
  const tls = loadOrCreateCertificates('localhost');
  const broker = await Aedes.createBroker({
    concurrency: 1000,
    published(packet, client, done) {
      done();
      const rid = client && /\$rid=([^&]*)/.exec(packet.topic)?.[1];
      if (rid === undefined || rid === null) return;
      const isGet = packet.topic.startsWith('$iothub/twin/GET/');
      const topic = isGet ? `$iothub/twin/res/200/?$rid=${rid}` : `$iothub/twin/res/204/?$rid=${rid}&$version=2`;
      const payload = isGet ? Buffer.from('{"desired":{"$version":1},"reported":{"$version":1}}') : Buffer.alloc(0);
      setImmediate(() => client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, () => {}));
    },
  });
  const server = createServer({ key: tls.key, cert: tls.cert }, (socket) => broker.handle(socket));
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, ca: tls.caPem };
}

async function hub() {
  const started = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, trafficBufferSize: 0, telemetryBufferSize: 0, dashboard: false });
  for (let i = 0; i < 100; i++) started.createDevice(`dev-${i}`, { primaryKey: KEY, secondaryKey: KEY });
  return { port: started.ports.mqtt, ca: started.caPem };
}

const ready = kind === 'floor' ? await floor() : await hub();
process.send({ type: 'ready', ...ready });
process.on('message', (message) => {
  if (message.type !== 'cpu') return;
  const usage = process.cpuUsage();
  process.send({ type: 'cpu', us: usage.user + usage.system });
});
