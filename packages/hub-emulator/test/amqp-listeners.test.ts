import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, WELL_KNOWN_POLICIES } from '@hubemu/shared';
import { WebSocket } from 'ws';
import { startHub, type Hub } from '../src/index.js';
import { attachSender, connect, putToken, rhea, settle } from '../src/amqp/amqp-test-kit.fixtures.js';

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


describe('C2D sends through the core and the admission seam', () => {
  it('enqueues an accepted send for the device, and a c2d.send fault rejects the next one with its condition', async () => {
    hub.createDevice('amqp-c2d');
    const c = await connect(hub.ports.amqpPlain ?? 0);
    await putToken(c, hub.hostName, token());
    const { link } = await attachSender(c, { target: { address: '/messages/devicebound' } });
    const body = rhea.message.data_section(Buffer.from('hi'));
    expect(await settle(link, { to: '/devices/amqp-c2d/messages/devicebound', message_id: 'm-1', body })).toEqual({ state: 'accepted' });
    expect(hub.c2d.pending('amqp-c2d').map((m) => m.messageId)).toEqual(['m-1']);
    const fault = hub.faults.add({ operation: 'c2d.send', action: 'fail', errorCode: 'ThrottlingException', count: 1 });
    expect(await settle(link, { to: '/devices/amqp-c2d/messages/devicebound', body })).toEqual({ state: 'rejected', condition: 'com.microsoft:device-container-throttled' });
    expect(hub.traffic({ operation: 'c2d.send' }).map((r) => [r.status, r.fault])).toEqual([
      [200, undefined],
      [429, fault.id],
    ]);
    expect(await settle(link, { to: '/devices/amqp-c2d/messages/devicebound', body: rhea.message.data_section(Buffer.alloc(70 * 1024)) })).toEqual({
      state: 'rejected',
      condition: 'amqp:link:message-size-exceeded',
    });
    c.close();
  });
});
