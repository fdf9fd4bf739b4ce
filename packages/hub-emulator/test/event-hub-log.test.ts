import https from 'node:https';
import mqtt from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, topics } from '@hubemu/shared';
import { startHub, type Hub, type HubEvent } from '../src/index.js';
import { connectRaw } from './raw-device.js';

const MODEL = 'dtmi:com:example:Thermostat;1';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({
    inMemory: true,
    mqttPort: 0,
    httpsPort: 0,
    amqpPort: 0,
    hostName: 'contoso-hub.localhost',
    eventHub: { messageSources: ['twinChangeEvents', 'deviceConnectionStateEvents', 'deviceLifecycleEvents'] },
  });
});
afterAll(async () => {
  await hub.stop();
});
beforeEach(async () => {
  await hub.reset();
});

/** Resolves with the next event the log appends for which `match` holds. */
function nextEvent(match: (event: HubEvent) => boolean): Promise<HubEvent> {
  return new Promise((resolve) => {
    const off = hub.eventHub.onAppend((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

const bodyOf = (event: HubEvent | undefined): unknown => JSON.parse(event?.body.toString('utf8') ?? 'null');

describe('telemetry in the Event Hubs-compatible endpoint', () => {
  it('stamps a device\'s MQTT telemetry with its system properties, auth method, generation id, model id and component', async () => {
    const { device } = hub.createDevice('thermo-1');
    const cs = parseConnectionString(hub.deviceConnectionString('thermo-1'));
    const client = await mqtt.connectAsync(`mqtts://localhost:${hub.ports.mqtt}`, {
      ca: hub.caPem,
      clientId: 'thermo-1',
      username: `${cs.HostName}/thermo-1/?api-version=2021-04-12&model-id=${encodeURIComponent(MODEL)}`,
      password: signSasToken(`${cs.HostName}/devices/thermo-1`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      const appended = nextEvent((e) => e.messageSource === 'Telemetry');
      const bag = { '$.mid': 'm-1', '$.cid': 'c-1', '$.uid': 'u-1', '$.ct': 'application/json', '$.ce': 'utf-8', '$.sub': 'thermostat1', alert: 'high' };
      await client.publishAsync(topics.telemetry('thermo-1', bag), '{"t":21.5}', { qos: 1 });
      const event = await appended;
      expect(event).toMatchObject({
        deviceId: 'thermo-1',
        partition: hub.eventHub.partitionOf('thermo-1'),
        messageId: 'm-1',
        correlationId: 'c-1',
        userId: 'u-1',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        properties: { alert: 'high' },
      });
      expect(event.annotations).toEqual({
        'iothub-connection-auth-method': '{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}',
        'iothub-connection-auth-generation-id': device.generationId,
        'dt-dataschema': MODEL,
        'dt-subject': 'thermostat1',
      });
      expect(event.body.toString()).toBe('{"t":21.5}');
      // The lifecycle and connection events of this hub came first, in the same partition.
      expect(hub.eventHub.read(event.partition, 0, 10).map((e) => e.messageSource)).toEqual(['deviceLifecycleEvents', 'deviceConnectionStateEvents', 'Telemetry']);
      expect(hub.eventHub.read(event.partition, event.sequenceNumber, 1)).toEqual([event]);
      expect(hub.telemetry({ deviceId: 'thermo-1' })).toMatchObject([{ systemProperties: { messageId: 'm-1', contentType: 'application/json', componentName: 'thermostat1' } }]);
    } finally {
      await client.endAsync();
    }
  });

  it('stamps telemetry a device posts over HTTPS as it stamps MQTT telemetry', async () => {
    const { device } = hub.createDevice('http-1');
    const cs = parseConnectionString(hub.deviceConnectionString('http-1'));
    const appended = nextEvent((e) => e.messageSource === 'Telemetry');
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: 'localhost',
          port: hub.ports.https,
          ca: hub.caPem,
          method: 'POST',
          path: '/devices/http-1/messages/events?api-version=2020-09-30',
          headers: {
            authorization: signSasToken(`${cs.HostName}/devices/http-1`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600),
            'iothub-messageid': 'h-1',
            'iothub-contenttype': 'text/plain',
            'iothub-app-site': 'lab',
            'content-type': 'text/plain',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('over https');
    });
    expect(status).toBe(204);
    const event = await appended;
    expect(event).toMatchObject({ deviceId: 'http-1', messageId: 'h-1', contentType: 'text/plain', properties: { site: 'lab' } });
    expect(event.annotations).toEqual({
      'iothub-connection-auth-method': '{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}',
      'iothub-connection-auth-generation-id': device.generationId,
    });
  });

  it('stamps a module\'s telemetry with the module scope', async () => {
    hub.createDevice('edge-1');
    hub.registry.putModule('edge-1', 'filter', {});
    const module = await connectRaw(hub, 'edge-1', { moduleId: 'filter', subscribe: [] });
    try {
      const appended = nextEvent((e) => e.messageSource === 'Telemetry');
      await module.client.publishAsync(topics.telemetry('edge-1', {}, 'filter'), 'x', { qos: 1 });
      const event = await appended;
      expect(event).toMatchObject({ deviceId: 'edge-1', moduleId: 'filter', partition: hub.eventHub.partitionOf('edge-1') });
      expect(JSON.parse(event.annotations['iothub-connection-auth-method'] ?? '')).toMatchObject({ scope: 'module', type: 'sas' });
    } finally {
      await module.close();
    }
  });

  it('empties the log on reset, so the embedded API\'s telemetry starts over', async () => {
    hub.createDevice('d1');
    const d = await connectRaw(hub, 'd1', { subscribe: [] });
    await d.client.publishAsync(topics.telemetry('d1'), 'x', { qos: 1 });
    await d.close();
    expect(hub.telemetry()).toHaveLength(1);
    await hub.reset();
    expect(hub.telemetry()).toEqual([]);
    expect(hub.eventHub.retained()).toEqual([]);
  });
});

describe('message sources besides telemetry', () => {
  const common = (event: HubEvent | undefined, schema: string, opType: string): void => {
    expect(event).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      userId: 'contoso-hub',
      properties: { hubName: 'contoso-hub', 'iothub-message-schema': schema, opType },
    });
    expect(event?.correlationId).toMatch(/^[0-9a-f]+$/);
    expect(event?.properties.operationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  };

  it('sends a lifecycle event with the new twin when a device or module is created, and with the old twin when it is deleted', () => {
    hub.createDevice('life-1', { tags: { site: 'lab' } });
    hub.registry.putModule('life-1', 'm1', {});
    hub.registry.deleteDevice('life-1');
    const events = hub.eventHub.retained().filter((e) => e.messageSource === 'deviceLifecycleEvents');
    expect(events.map((e) => [e.properties.opType, e.moduleId ?? ''])).toEqual([
      ['createDeviceIdentity', ''],
      ['createDeviceIdentity', 'm1'],
      ['deleteDeviceIdentity', 'm1'],
      ['deleteDeviceIdentity', ''],
    ]);
    common(events[0], 'deviceLifecycleNotification', 'createDeviceIdentity');
    expect(events[1]?.properties).toMatchObject({ deviceId: 'life-1', moduleId: 'm1' });
    expect(bodyOf(events[0])).toMatchObject({ deviceId: 'life-1', etag: expect.any(String) as unknown, version: expect.any(Number) as unknown, properties: { desired: { $version: 1 }, reported: { $version: 1 } } });
    expect(bodyOf(events[3])).toMatchObject({ deviceId: 'life-1', tags: { site: 'lab' } });
    expect(new Set(events.map((e) => e.partition))).toEqual(new Set([hub.eventHub.partitionOf('life-1')]));
  });

  it('sends a twin change event with the changed values, their metadata and the new versions', async () => {
    hub.createDevice('twin-1');
    hub.updateTwin('twin-1', { tags: { floor: 3 }, properties: { desired: { interval: 5 } } });
    const d = await connectRaw(hub, 'twin-1');
    await d.request(topics.twinPatchReported('r1'), '{"fw":"1.0"}', 'r1');
    await d.close();
    const events = hub.eventHub.retained().filter((e) => e.messageSource === 'twinChangeEvents');
    expect(events).toHaveLength(2);
    common(events[0], 'twinChangeNotification', 'updateTwin');
    const service = bodyOf(events[0]) as { version: number; tags: unknown; properties: { desired: Record<string, unknown> } };
    expect(service.tags).toEqual({ floor: 3 });
    expect(service.properties.desired).toMatchObject({ interval: 5, $version: 2, $metadata: { $lastUpdated: expect.any(String) as unknown, interval: { $lastUpdated: expect.any(String) as unknown } } });
    expect(bodyOf(events[1])).toMatchObject({ properties: { reported: { fw: '1.0', $version: 2 } } });
    expect(bodyOf(events[1])).not.toHaveProperty('tags');
  });

  it('sends a replaceTwin event with the whole twin when the twin is replaced', () => {
    hub.createDevice('twin-2');
    hub.twins.updateTwin('twin-2', undefined, { tags: { a: 1 }, properties: { desired: { b: 2 } } }, 'replace', { source: 'service' });
    const [event] = hub.eventHub.retained().filter((e) => e.messageSource === 'twinChangeEvents');
    common(event, 'twinChangeNotification', 'replaceTwin');
    expect(bodyOf(event)).toMatchObject({ deviceId: 'twin-2', etag: expect.any(String) as unknown, tags: { a: 1 }, properties: { desired: { b: 2 } } });
  });

  it('sends connection state events with strictly increasing sequence numbers when a device connects and disconnects', async () => {
    hub.createDevice('conn-1');
    const disconnected = nextEvent((e) => e.properties.opType === 'deviceDisconnected');
    const d = await connectRaw(hub, 'conn-1', { subscribe: [] });
    await d.close();
    await disconnected;
    const events = hub.eventHub.retained().filter((e) => e.messageSource === 'deviceConnectionStateEvents');
    expect(events.map((e) => e.properties.opType)).toEqual(['deviceConnected', 'deviceDisconnected']);
    common(events[0], 'deviceConnectionStateNotification', 'deviceConnected');
    const [first, second] = events.map((e) => (bodyOf(e) as { sequenceNumber: string }).sequenceNumber);
    expect(first).toMatch(/^[0-9A-F]{64}$/);
    expect(second! > first!).toBe(true);
  });
});

describe('a hub with the default message sources', () => {
  it('sends only telemetry', async () => {
    const plain = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
    try {
      plain.createDevice('p1');
      plain.updateTwin('p1', { tags: { a: 1 } });
      const d = await connectRaw(plain, 'p1', { subscribe: [] });
      await d.client.publishAsync(topics.telemetry('p1'), 'x', { qos: 1 });
      await d.close();
      expect(plain.eventHub.retained().map((e) => e.messageSource)).toEqual(['Telemetry']);
      expect(plain.eventHub.name).toBe('localhost');
      expect(plain.eventHub.partitionCount).toBe(4);
    } finally {
      await plain.stop();
    }
  });
});
