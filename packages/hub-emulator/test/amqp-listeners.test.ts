import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, WELL_KNOWN_POLICIES } from '@hubemu/shared';
import { WebSocket } from 'ws';
import { startHub, type Hub } from '../src/index.js';
import { connect, putToken, rhea } from '../src/amqp/amqp-test-kit.fixtures.js';

let hub: Hub;
const service = WELL_KNOWN_POLICIES.find((p) => p.name === 'service');

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, amqpPlainPort: 0, httpPort: 0, dashboard: false });
});
afterAll(async () => {
  await hub.stop();
});

const token = () => signSasToken(hub.hostName, service?.primaryKey ?? '', Math.floor(Date.now() / 1000) + 600, 'service');

describe('AMQP listeners', () => {
  it('reports the AMQP ports and an Event Hubs-compatible connection string naming the AMQP port', () => {
    expect(hub.ports.amqp).toBeGreaterThan(0);
    expect(hub.ports.amqpPlain).toBeGreaterThan(0);
    const cs = parseConnectionString(hub.eventHubConnectionString());
    expect(cs).toEqual({ Endpoint: `sb://${hub.hostName}:${hub.ports.amqp}/`, SharedAccessKeyName: 'service', SharedAccessKey: service?.primaryKey, EntityPath: 'localhost' });
  });

  it('serves CBS over TLS (trusting the hub CA) and over plain AMQP', async () => {
    const tls = await connect(hub.ports.amqp, { transport: 'tls', ca: hub.caPem, servername: hub.hostName, host: '127.0.0.1' });
    expect((await putToken(tls, hub.hostName, token())).status).toBe(200);
    tls.close();
    const plain = await connect(hub.ports.amqpPlain ?? 0);
    expect((await putToken(plain, hub.hostName, token())).status).toBe(200);
    plain.close();
  });

  it.each(['/$iothub/websocket', '/$servicebus/websocket'])('serves AMQP over WebSockets (AMQPWSB10) at %s on the HTTPS and plain HTTP ports', async (path) => {
    for (const url of [`wss://${hub.hostName}:${hub.ports.https}${path}`, `ws://${hub.hostName}:${hub.ports.http}${path}`]) {
      const container = rhea.create_container();
      container.on('error', () => undefined);
      const ws = container.websocket_connect(WebSocket as never);
      const connection = container.connect({ connection_details: ws(url, ['AMQPWSB10'], { ca: hub.caPem }), reconnect: false } as never);
      connection.on('connection_error', () => undefined);
      connection.on('disconnected', () => undefined);
      await once(connection, 'connection_open');
      expect((await putToken(connection, hub.hostName, token())).status).toBe(200);
      connection.close();
    }
  });

  it('still hands /$iothub/websocket to MQTT when the client asks for the mqtt subprotocol', async () => {
    const ws = new WebSocket(`ws://${hub.hostName}:${hub.ports.http}/$iothub/websocket`, ['mqtt']);
    await once(ws, 'open');
    expect(ws.protocol).toBe('mqtt');
    ws.close();
  });
});
