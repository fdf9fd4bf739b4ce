import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { eventHubConnectionString, hubNameOf, WELL_KNOWN_POLICIES } from '@hubemu/shared';
import { c2dMessageOf } from './c2d-send.js';
import { hubConnectionString } from './hub-connection-string.js';
import { eventHubConnectionStringFor, parseAck, parseAppProperties, parseEpochOrIso } from './messaging-args.js';
import { formatMonitorEvent, globMatcher, parsePropertyKinds, renderMonitorEvent, type RawEvent } from './monitor-event-format.js';
import { registerMonitorEvents } from './monitor-events.js';
import { parseMessageSource } from './start.js';

const OWNER = WELL_KNOWN_POLICIES.find((p) => p.name === 'iothubowner')!;
const LOGIN = `HostName=localhost:8443;SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER.primaryKey}`;

describe('the Event Hub-compatible connection string', () => {
  it('is built from a service connection string with the hub name as EntityPath and the AMQP port in the Endpoint', () => {
    expect(eventHubConnectionString('HostName=contoso.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=abc=', 5671)).toBe(
      'Endpoint=sb://contoso.azure-devices.net/;SharedAccessKeyName=service;SharedAccessKey=abc=;EntityPath=contoso',
    );
    expect(eventHubConnectionString(LOGIN, 45671)).toBe(`Endpoint=sb://localhost:45671/;SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER.primaryKey};EntityPath=localhost`);
    expect(hubNameOf('my-hub.localhost:8883')).toBe('my-hub');
  });

  it('is taken as it is when the login already is one', () => {
    const eh = 'Endpoint=sb://localhost/;SharedAccessKeyName=a;SharedAccessKey=b;EntityPath=c';
    expect(eventHubConnectionStringFor(eh, 5671)).toBe(eh);
  });

  it('is what hub connection-string show --default-eventhub prints, and without it the hub connection string of the policy asked for', () => {
    expect(hubConnectionString({ login: LOGIN, keyType: 'primary', defaultEventhub: true, amqpPort: 5671 })).toEqual({
      connectionString: `Endpoint=sb://localhost/;SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER.primaryKey};EntityPath=localhost`,
    });
    expect(hubConnectionString({ login: LOGIN, keyType: 'secondary', amqpPort: 5671 })).toEqual({ connectionString: `HostName=localhost:8443;SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER.secondaryKey}` });
    const service = WELL_KNOWN_POLICIES.find((p) => p.name === 'service')!;
    expect(hubConnectionString({ login: LOGIN, policyName: 'service', keyType: 'primary', amqpPort: 5671 }).connectionString).toBe(`HostName=localhost:8443;SharedAccessKeyName=service;SharedAccessKey=${service.primaryKey}`);
    expect(() => hubConnectionString({ login: LOGIN, policyName: 'custom', keyType: 'primary', amqpPort: 5671 })).toThrow(/not known here/);
    expect(() => hubConnectionString({ keyType: 'primary', amqpPort: 5671 })).toThrow(/No hub to talk to/);
  });
});

describe('monitor-events arguments', () => {
  it('takes --properties space-separated, repeated or in one quoted value, and refuses unknown kinds', async () => {
    expect(parsePropertyKinds('sys app')).toEqual(['sys', 'app']);
    expect(parsePropertyKinds('anno', ['sys'])).toEqual(['sys', 'anno']);
    expect(() => parsePropertyKinds('bogus')).toThrow(/not a property kind/);
    const program = new Command('hubemu').exitOverride();
    registerMonitorEvents(program);
    const monitor = program.commands.find((c) => c.name() === 'monitor-events')!;
    monitor.action(() => {});
    await program.parseAsync(['monitor-events', '-p', 'sys', 'app', '-p', 'anno', '-d', 'd*', '--timeout', '0', '--enqueued-time', '2026-01-01T00:00:00Z'], { from: 'user' });
    expect(monitor.opts()).toMatchObject({ properties: ['sys', 'app', 'anno'], deviceId: 'd*', timeout: 0, enqueuedTime: Date.parse('2026-01-01T00:00:00Z'), consumerGroup: '$Default', amqpPort: 5671, output: 'json' });
  });

  it('matches device ids with * and ? wildcards', () => {
    const match = globMatcher('sensor-?-*');
    expect(['sensor-1-a', 'sensor-2-', 'sensor-12-a', 'sensorx1-a'].map(match)).toEqual([true, true, false, false]);
    expect(globMatcher(undefined)('anything')).toBe(true);
    expect(globMatcher('a.b')('axb')).toBe(false);
  });

  it('reads times as epoch milliseconds or ISO 8601', () => {
    expect(parseEpochOrIso('--expiry')('1700000000000')).toBe(1_700_000_000_000);
    expect(parseEpochOrIso('--expiry')('2026-01-31T12:00:00Z')).toBe(Date.parse('2026-01-31T12:00:00Z'));
    expect(() => parseEpochOrIso('--expiry')('tomorrow')).toThrow(/--expiry must be/);
  });
});

describe('monitor-events output', () => {
  const raw: RawEvent = {
    body: Buffer.from('{"temperature":21.5}'),
    properties: { messageId: 'm1', contentType: 'application/json', contentEncoding: 'utf-8', userId: { 0: 117, 1: 49 } },
    messageAnnotations: { 'iothub-connection-device-id': 'd1', 'iothub-connection-module-id': 'm', 'dt-subject': 'thermostat1', 'x-opt-sequence-number': 4, 'iothub-enqueuedtime': new Date(1000) },
    applicationProperties: { alert: 'high' },
  };

  it('prints origin, module, component and the payload parsed as JSON when its content type says so, as az does', () => {
    expect(formatMonitorEvent(raw, [])).toEqual({ event: { origin: 'd1', module: 'm', interface: '', component: 'thermostat1', payload: { temperature: 21.5 } } });
    expect(formatMonitorEvent({ ...raw, properties: {} }, []).event.payload).toBe('{"temperature":21.5}');
  });

  it('adds the system and application properties and the annotations asked for', () => {
    const { event } = formatMonitorEvent(raw, ['sys', 'app']);
    expect(event.properties).toEqual({ system: { message_id: 'm1', content_type: 'application/json', content_encoding: 'utf-8', user_id: 'u1' }, application: { alert: 'high' } });
    expect(event.annotations).toBeUndefined();
    const all = formatMonitorEvent(raw, ['all']).event;
    expect(all.annotations).toMatchObject({ 'x-opt-sequence-number': 4, 'iothub-enqueuedtime': 1000 });
    expect(all.properties?.application).toEqual({ alert: 'high' });
  });

  it('renders an event as indented JSON, or as YAML for -o table', () => {
    const event = formatMonitorEvent(raw, []);
    expect(JSON.parse(renderMonitorEvent(event, 'json'))).toEqual(event);
    expect(renderMonitorEvent(event, 'table')).toContain('origin: d1');
  });
});

describe('c2d-message send arguments', () => {
  it('parses --props as key=value pairs separated by semicolons, and --ack as az names it', () => {
    expect(parseAppProperties('key0=value0;key1=a=b')).toEqual({ key0: 'value0', key1: 'a=b' });
    expect(parseAppProperties('k2=v', { k: '1' })).toEqual({ k: '1', k2: 'v' });
    expect(() => parseAppProperties('novalue')).toThrow(/key=value/);
    expect(parseAck('FULL')).toBe('full');
    expect(() => parseAck('sometimes')).toThrow(/not an ack/);
  });

  it('builds the message with a new id unless given, and every property asked for', () => {
    const message = c2dMessageOf({ data: 'hi', correlationId: 'c', contentType: 'application/json', contentEncoding: 'utf-8', ack: 'full', props: { a: '1' }, expiry: 1_700_000_000_000 });
    expect(message.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(message).toMatchObject({ correlationId: 'c', contentType: 'application/json', contentEncoding: 'utf-8', ack: 'full', expiryTimeUtc: new Date(1_700_000_000_000) });
    expect(message.properties.getValue('a')).toBe('1');
    expect(message.getData().toString()).toBe('hi');
    expect(c2dMessageOf({ data: 'x', messageId: 'mine', props: {} }).messageId).toBe('mine');
  });
});

describe('hubemu start --message-source', () => {
  it('takes the route data source names in any case, each once', () => {
    expect(parseMessageSource('TwinChangeEvents')).toEqual(['twinChangeEvents']);
    expect(parseMessageSource('devicelifecycleevents', ['twinChangeEvents'])).toEqual(['twinChangeEvents', 'deviceLifecycleEvents']);
    expect(parseMessageSource('twinChangeEvents', ['twinChangeEvents'])).toEqual(['twinChangeEvents']);
    expect(() => parseMessageSource('deviceMessages')).toThrow(/not a message source/);
  });
});
