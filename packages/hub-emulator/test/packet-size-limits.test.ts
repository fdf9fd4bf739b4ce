import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQTT_WEBSOCKET_PATH as WEBSOCKET_PATH, parseConnectionString, signSasToken, topics } from '@hubemu/shared';
import { startHub, type Hub } from '../src/index.js';
import { connectRaw, type RawDevice } from './raw-device.js';

const MB = 1024 * 1024;
/** How much the flood may write before the hub must have closed the socket (the declared sizes are far larger). */
const FLOOD_CAP = 64 * MB;
/** How much the hub's memory may grow while refusing one flood: well below any declared size. */
const MEMORY_BOUND = 32 * MB;

let hub: Hub;
let witness: RawDevice;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, mqttPlainPort: 0 });
  hub.createDevice('witness');
  hub.createDevice('d1');
  witness = await connectRaw(hub, 'witness');
});
afterAll(async () => {
  await witness.close();
  await hub.stop();
});

/** An MQTT fixed header: the packet type byte and the remaining length as a variable byte integer. */
function fixedHeader(typeByte: number, remainingLength: number): Buffer {
  const bytes = [typeByte];
  let left = remainingLength;
  do {
    let byte = left % 128;
    left = Math.floor(left / 128);
    if (left > 0) byte |= 0x80;
    bytes.push(byte);
  } while (left > 0);
  return Buffer.from(bytes);
}

const memory = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

/**
 * Writes zeros after whatever was sent until the hub closes the socket or FLOOD_CAP bytes are written.
 * Resolves with whether the hub closed it and how much the process's memory grew meanwhile.
 */
async function flood(socket: Socket): Promise<{ closed: boolean; growth: number }> {
  const before = memory();
  let closed = socket.destroyed;
  socket.once('close', () => {
    closed = true;
  });
  const drainedOrClosed = (): Promise<void> =>
    new Promise((resolve) => {
      if (closed) return resolve();
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  const zeros = Buffer.alloc(64 * 1024);
  let peak = before;
  for (let written = 0; !closed && written < FLOOD_CAP; written += zeros.length) {
    if (!socket.write(zeros)) await drainedOrClosed();
    peak = Math.max(peak, memory());
  }
  if (!closed) socket.destroy();
  return { closed, growth: peak - before };
}

/** A CONNECT with valid credentials for `deviceId`. */
function connectPacket(deviceId: string): Buffer {
  const cs = parseConnectionString(hub.deviceConnectionString(deviceId));
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    clientId: deviceId,
    username: `${cs.HostName}/${deviceId}/?api-version=2021-04-12`,
    password: Buffer.from(signSasToken(`${cs.HostName}/devices/${deviceId}`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600)),
  });
}

/** The witness device is still connected and still answered. */
async function expectWitnessServed(): Promise<void> {
  expect(hub.connectedDevices()).toContain('witness');
  const res = await witness.request(topics.twinGet('still-here'), '', 'still-here');
  expect(res.topic).toBe('$iothub/twin/res/200/?$rid=still-here');
}

/** A socket whose errors (ECONNRESET, EPIPE once the hub closed it) are expected: the tests wait on 'close'. */
function quiet<S extends Socket>(socket: S): S {
  socket.on('error', () => {});
  return socket;
}

async function tlsSocket(port: number): Promise<Socket> {
  const socket = quiet(connectTls({ host: '127.0.0.1', port, ca: hub.caPem, servername: 'localhost' }));
  await once(socket, 'secureConnect');
  return socket;
}

describe('packet size limits applied from the fixed header', () => {
  it('accepts a 250 KB message, just under the limit, over TLS and over WebSockets', async () => {
    const cs = parseConnectionString(hub.deviceConnectionString('d1'));
    const body = 'x'.repeat(250 * 1024);
    for (const url of [`mqtts://localhost:${hub.ports.mqtt}`, `wss://localhost:${hub.ports.https}${WEBSOCKET_PATH}`]) {
      const client = await mqtt.connectAsync(url, {
        ca: hub.caPem,
        clientId: 'd1',
        username: `${cs.HostName}/d1/?api-version=2021-04-12`,
        password: signSasToken(`${cs.HostName}/devices/d1`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600),
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      try {
        await client.publishAsync(topics.telemetry('d1', { via: url.slice(0, 3) }), body, { qos: 1 });
        expect(hub.telemetry({ deviceId: 'd1' }).map((m) => m.body.length)).toContain(body.length);
      } finally {
        await client.endAsync();
      }
    }
    expect(hub.telemetry({ deviceId: 'd1' })).toHaveLength(2);
  });

  it('closes an unauthenticated connection whose CONNECT declares 256 MB without buffering it (MQTT over TLS)', async () => {
    const socket = await tlsSocket(hub.ports.mqtt);
    socket.write(fixedHeader(0x10, 256 * MB - 1));
    const { closed, growth } = await flood(socket);
    expect(closed).toBe(true);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    await expectWitnessServed();
  });

  it('closes an unauthenticated connection whose CONNECT declares 256 MB without buffering it (plain MQTT)', async () => {
    const socket = quiet(connectTcp({ host: '127.0.0.1', port: hub.ports.mqttPlain as number }));
    await once(socket, 'connect');
    socket.write(fixedHeader(0x10, 256 * MB - 1));
    const { closed, growth } = await flood(socket);
    expect(closed).toBe(true);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    await expectWitnessServed();
  });

  it('closes a connection that sends a packet over 16 KB before it is authenticated, even with valid credentials', async () => {
    const socket = await tlsSocket(hub.ports.mqtt);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // CONNECT and, without waiting for CONNACK, the header of a 200 KB PUBLISH, in one TLS record.
    socket.write(Buffer.concat([connectPacket('d1'), fixedHeader(0x30, 200 * 1024)]));
    const { closed, growth } = await flood(socket);
    expect(closed).toBe(true);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    expect(Buffer.concat(received).subarray(0, 4)).not.toEqual(Buffer.from([0x20, 2, 0, 0]));
    await expectWitnessServed();
  });

  it('closes an authenticated connection whose PUBLISH declares 200 MB, far over the 256 KB message limit', async () => {
    const socket = await tlsSocket(hub.ports.mqtt);
    const connack = once(socket, 'data');
    socket.write(connectPacket('d1'));
    const [answer] = (await connack) as [Buffer];
    expect([...answer.subarray(0, 4)]).toEqual([0x20, 2, 0, 0]); // CONNACK, accepted
    expect(hub.connectedDevices()).toContain('d1');
    socket.write(fixedHeader(0x30, 200 * MB));
    const { closed, growth } = await flood(socket);
    expect(closed).toBe(true);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    await expect.poll(() => hub.connectedDevices()).not.toContain('d1');
    await expectWitnessServed();
  });

  it('closes a WebSocket whose frame declares 90 MB (more than one MQTT packet may hold, less than ws allows by default) before it is buffered', async () => {
    const socket = await tlsSocket(hub.ports.https);
    const upgraded = once(socket, 'data');
    socket.write(
      `GET ${WEBSOCKET_PATH} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n',
    );
    const [response] = (await upgraded) as [Buffer];
    expect(response.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    // FIN + binary, masked, 64-bit length, then the mask key; the payload is the zeros of the flood.
    const frame = Buffer.alloc(14);
    frame[0] = 0x82;
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(90 * MB), 2);
    socket.write(frame);
    const { closed, growth } = await flood(socket);
    expect(closed).toBe(true);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    await expectWitnessServed();
  });
});

describe('a device that stops reading', () => {
  it('is disconnected once 4 MB wait in its outgoing buffer, while other devices stay served', async () => {
    hub.createDevice('sleeper');
    const cs = parseConnectionString(hub.deviceConnectionString('sleeper'));
    const socket = connectTcp(hub.ports.mqttPlain as number, '127.0.0.1');
    await once(socket, 'connect');
    const password = signSasToken(`${cs.HostName}/devices/sleeper`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600);
    const packets = mqttPacket.parser({ protocolVersion: 4 });
    const acks: string[] = [];
    packets.on('packet', (p) => acks.push(p.cmd));
    socket.on('data', (chunk) => packets.parse(chunk));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'sleeper', username: `${cs.HostName}/sleeper/?api-version=2021-04-12`, password: Buffer.from(password) }));
    await expect.poll(() => acks).toContain('connack');
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$iothub/twin/PATCH/properties/desired/#', qos: 0 }] }));
    await expect.poll(() => acks).toContain('suback');
    // From here the device reads nothing: whatever the hub sends piles up in the kernel, then in the hub.
    socket.removeAllListeners('data');
    socket.pause();
    const gone = new Promise<void>((resolve) => hub.events.on('deviceDisconnected', (e) => e.deviceId === 'sleeper' && resolve()));
    let disconnected = false;
    void gone.then(() => (disconnected = true));
    const chunk = (n: number): Record<string, string> => Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`pad${i}`, `${n}`.padEnd(3_500, 'x')]));
    for (let n = 0; n < 5_000 && !disconnected; n++) {
      hub.updateTwin('sleeper', { properties: { desired: chunk(n) } });
      if (n % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(disconnected).toBe(true);
    const res = await witness.request(topics.twinGet('w1'), '', 'w1');
    expect(res.topic).toMatch(/^\$iothub\/twin\/res\/200\//);
    socket.destroy();
  });
});
