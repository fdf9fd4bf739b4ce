import { once } from 'node:events';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../src/index.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

function connect(port: number, session?: Buffer): TLSSocket {
  return connectTls({ host: '127.0.0.1', port, servername: 'localhost', ca: hub.caPem, ...(session ? { session } : {}) });
}

/** A full handshake; resolves with whether it resumed (it should not) and the first ticket the hub hands out. */
async function fullHandshake(port: number): Promise<{ reused: boolean; ticket: Buffer }> {
  const socket = connect(port);
  const ticket = once(socket, 'session') as Promise<[Buffer]>;
  socket.resume(); // TLS 1.3 tickets come after the handshake: read them
  await once(socket, 'secureConnect');
  const reused = socket.isSessionReused();
  const [issued] = await ticket;
  socket.destroy();
  return { reused, ticket: issued };
}

/** A connection offering `session`; resolves with whether the hub resumed it. */
async function resumes(port: number, session: Buffer): Promise<boolean> {
  const socket = connect(port, session);
  await once(socket, 'secureConnect');
  const reused = socket.isSessionReused();
  socket.destroy();
  return reused;
}

describe('TLS session resumption on the hub\'s listeners', () => {
  it.each(['mqtt', 'https'] as const)('the %s listener hands out a session ticket and resumes a connection that offers it', async (listener) => {
    const port = hub.ports[listener];
    const first = await fullHandshake(port);
    expect(first.reused).toBe(false);
    // Tickets are not tied to a device (devices authenticate after TLS), so any client of the hub may offer one.
    expect(await resumes(port, first.ticket)).toBe(true);
  });
});
