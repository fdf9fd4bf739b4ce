import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQTT_WEBSOCKET_PATH as WEBSOCKET_PATH, topics } from '@hubemu/shared';
import { startHub, type Hub } from '../src/index.js';
import { connectRaw, type RawDevice } from './raw-device.js';

let hub: Hub;
let witness: RawDevice;

beforeAll(async () => {
  hub = await startHub({
    inMemory: true,
    mqttPort: 0,
    httpsPort: 0, amqpPort: 0,
    mqttPlainPort: 0,
    httpPort: 0,
    timeouts: { tlsHandshakeMs: 200, mqttConnectMs: 200, httpHeadersMs: 200, httpKeepAliveMs: 200 },
  });
  hub.createDevice('witness');
  witness = await connectRaw(hub, 'witness');
});
afterAll(async () => {
  await witness.close();
  await hub.stop();
});

/** Opens a TCP connection and resolves with everything the hub sent once the hub has closed it. */
async function closedByHub(socket: Socket, send?: string): Promise<string> {
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {}); // a reset is a close too: the test waits on 'close'
  if (send !== undefined) socket.write(send);
  await once(socket, 'close');
  return Buffer.concat(received).toString('latin1');
}

async function tcp(port: number): Promise<Socket> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  return socket;
}

async function tls(port: number): Promise<Socket> {
  const socket = connectTls({ host: '127.0.0.1', port, ca: hub.caPem, servername: 'localhost' });
  await once(socket, 'secureConnect');
  return socket;
}

const upgradeRequest =
  `GET ${WEBSOCKET_PATH} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n';

describe('sockets that never handshake or authenticate are closed after a bounded time', () => {
  it('closes a TCP connection to the MQTT/TLS port that never sends a ClientHello', async () => {
    await closedByHub(await tcp(hub.ports.mqtt));
  });

  it('closes a TCP connection to the HTTPS port that never sends a ClientHello', async () => {
    await closedByHub(await tcp(hub.ports.https));
  });

  it('closes a TLS connection to the MQTT/TLS port that never sends CONNECT', async () => {
    await closedByHub(await tls(hub.ports.mqtt));
  });

  it('closes a connection to the plain MQTT port that never sends CONNECT', async () => {
    await closedByHub(await tcp(hub.ports.mqttPlain as number));
  });

  it('answers 408 and closes a connection to the plain HTTP port that sends no request', async () => {
    expect(await closedByHub(await tcp(hub.ports.http as number))).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes a TLS connection to the HTTPS port that sends no request', async () => {
    expect(await closedByHub(await tls(hub.ports.https))).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive HTTP connection after its request was answered', async () => {
    const answer = await closedByHub(await tcp(hub.ports.http as number), 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes a WebSocket that is upgraded but never sends CONNECT', async () => {
    expect(await closedByHub(await tls(hub.ports.https), upgradeRequest)).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('keeps an authenticated device connected and served meanwhile', async () => {
    expect(hub.connectedDevices()).toContain('witness');
    const res = await witness.request(topics.twinGet('after'), '', 'after');
    expect(res.topic).toBe('$iothub/twin/res/200/?$rid=after');
  });
});
