import { afterAll, describe, expect, it } from 'vitest';
import { Client, Message } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { eventHubConnectionString } from '@hubemu/shared';
import { cliTestHub } from './run-cli.js';

// The hub listens on port 0, so every AMQP command is told its port with --amqp-port; the CLI trusts
// the hub's CA (--ca) by running again with NODE_EXTRA_CA_CERTS, which these tests go through too.
const cli = cliTestHub({ eventHub: { messageSources: ['deviceLifecycleEvents'] } });
const { hubemu } = cli;
const devices: Client[] = [];

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
});

/** A device connected with Microsoft's device SDK over MQTT. */
async function device(deviceId: string): Promise<Client> {
  const client = Client.fromConnectionString(cli.hub.deviceConnectionString(deviceId), Mqtt);
  await client.setOptions({ ca: cli.hub.caPem as string });
  devices.push(client);
  await client.open();
  return client;
}

/** The pretty-printed JSON documents monitor-events wrote, one after another. */
function documents(stdout: string): any[] {
  return stdout
    .split(/\n(?=\{)/)
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => JSON.parse(chunk) as unknown);
}

const amqp = (): string[] => ['--amqp-port', String(cli.hub.ports.amqp)];

describe('hubemu hub connection-string show', { timeout: 60_000 }, () => {
  it("prints the Event Hub-compatible connection string of the hub's AMQP port with --default-eventhub", async () => {
    const run = await hubemu(['hub', 'connection-string', 'show', '--default-eventhub', ...amqp()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toEqual({ connectionString: eventHubConnectionString(cli.hub.connectionString(), cli.hub.ports.amqp) });
  });
});

describe('hubemu monitor-events', { timeout: 90_000 }, () => {
  it('prints the telemetry of the device asked for, with its properties, and the lifecycle events the hub sends', async () => {
    const startedAt = Date.now() - 1000;
    cli.hub.createDevice('mon-1');
    cli.hub.createDevice('other-1');
    const sender = await device('mon-1');
    const message = new Message(JSON.stringify({ temperature: 21.5 }));
    message.contentType = 'application/json';
    message.contentEncoding = 'utf-8';
    message.messageId = 'msg-1';
    message.properties.add('alert', 'high');
    await sender.sendEvent(message);
    await (await device('other-1')).sendEvent(new Message('not this one'));

    const run = await hubemu(['monitor-events', '-d', 'mon-*', '-p', 'sys', 'app', '-p', 'anno', '--enqueued-time', String(startedAt), '--timeout', '8', ...amqp()]);
    expect(run.code, run.stderr).toBe(0);
    const events = documents(run.stdout);
    expect(events.map((e) => e.event.origin)).toEqual(['mon-1', 'mon-1']);
    const [lifecycle, telemetry] = events;
    expect(lifecycle.event.annotations).toMatchObject({ 'iothub-message-source': 'deviceLifecycleEvents' });
    expect(lifecycle.event.properties.application).toMatchObject({ opType: 'createDeviceIdentity', deviceId: 'mon-1', hubName: 'localhost' });
    expect(lifecycle.event.properties.system).toMatchObject({ content_type: 'application/json', content_encoding: 'utf-8', user_id: 'localhost', correlation_id: expect.any(String) });
    expect(telemetry.event).toMatchObject({
      origin: 'mon-1',
      module: '',
      payload: { temperature: 21.5 },
      properties: { system: { message_id: 'msg-1', content_type: 'application/json', content_encoding: 'utf-8' }, application: { alert: 'high' } },
      annotations: { 'iothub-connection-device-id': 'mon-1', 'iothub-message-source': 'Telemetry', 'x-opt-sequence-number': expect.any(Number) },
    });
  });

  it('refuses a consumer group the hub does not have', async () => {
    const run = await hubemu(['monitor-events', '--cg', 'nobody', '--timeout', '20', ...amqp()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/nobody/i);
  });

  it('says the hub cannot be reached, and exits 3, when nothing listens on the AMQP port', async () => {
    const run = await hubemu(['monitor-events', '--timeout', '20', '--amqp-port', '1']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ECONNREFUSED');
  });
});

describe('hubemu c2d-message', { timeout: 90_000 }, () => {
  it('sends a message with its properties to a device and prints the feedback the device caused', async () => {
    cli.hub.createDevice('c2d-1');
    const receiver = await device('c2d-1');
    const received = new Promise<Message>((resolve) => {
      receiver.on('message', (msg: Message) => {
        void receiver.complete(msg).then(() => resolve(msg));
      });
    });
    const run = await hubemu([
      'c2d-message', 'send', '-d', 'c2d-1', '--data', 'hello', '--mid', 'c2d-msg-1', '--cid', 'corr-1',
      '--props', 'k1=v1;k2=v2', '--ack', 'positive', '--wait-on-feedback', '--timeout', '30', ...amqp(),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const message = await received;
    expect(message.getData().toString()).toBe('hello');
    expect(message.messageId).toBe('c2d-msg-1');
    expect(message.correlationId).toBe('corr-1');
    expect(message.properties.getValue('k1')).toBe('v1');
    expect(run.json).toMatchObject({ deviceId: 'c2d-1', messageId: 'c2d-msg-1', ack: 'positive', feedback: { originalMessageId: 'c2d-msg-1', statusCode: 'Success', deviceId: 'c2d-1' } });
  });

  it("purges what waits in an offline device's queue and prints how many messages it removed", async () => {
    cli.hub.createDevice('c2d-offline');
    for (const data of ['one', 'two']) {
      const sent = await hubemu(['c2d-message', 'send', '-d', 'c2d-offline', '--data', data, ...amqp()]);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.json).toMatchObject({ deviceId: 'c2d-offline', messageId: expect.any(String) });
    }
    const run = await hubemu(['c2d-message', 'purge', '-d', 'c2d-offline']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ totalMessagesPurged: 2, deviceId: 'c2d-offline' });
  });

  it('prints the hub\'s refusal and exits 2 when the device does not exist', async () => {
    const run = await hubemu(['c2d-message', 'send', '-d', 'no-such-device', ...amqp()]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/DeviceNotFound|not found/i);
  });
});
