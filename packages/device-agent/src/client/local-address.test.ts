import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DeviceClient } from './device-client.js';

const KEY = Buffer.from('k').toString('base64');

/** A TCP listener that records where each connection came from and closes it (no TLS: the handshake fails, the source address is known). */
async function recordingListener(): Promise<{ port: number; sources: Promise<string>; close: () => void }> {
  const server = createServer();
  const sources = new Promise<string>((resolve) => server.once('connection', (socket: Socket) => {
    resolve(socket.remoteAddress ?? '');
    socket.destroy();
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, sources, close: () => server.close() };
}

describe('device client source address', () => {
  it.each([
    ['mqtts', false],
    ['wss', false],
    ['mqtts', true],
    ['wss', true],
  ] as const)('opens a %s connection (TLS resumption %s) from the localAddress it is given, so a fleet can spread over loopback addresses', async (transport, resumeTlsSession) => {
    const listener = await recordingListener();
    try {
      const client = new DeviceClient({
        hostName: 'localhost',
        deviceId: 'd1',
        sharedAccessKey: KEY,
        transport,
        host: '127.0.0.1',
        port: listener.port,
        localAddress: '127.0.0.2',
        resumeTlsSession,
        reconnect: false,
        connectTimeoutMs: 5_000,
      });
      const opened = client.open().catch(() => undefined);
      expect(await listener.sources).toBe('127.0.0.2');
      await opened;
      await client.close();
    } finally {
      listener.close();
    }
  });
});
