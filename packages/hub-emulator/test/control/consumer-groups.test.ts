import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connection, EventContext, Message, Receiver } from 'rhea';
import type { RequestEvent } from '../../src/events.js';
import { startHub, type Hub } from '../../src/index.js';
import { attachReceiver, connect, putToken, rhea, serviceToken } from '../../src/amqp/amqp-test-kit.fixtures.js';
import { connectRaw } from '../raw-device.js';
import { call, errorOf } from '../rest-api/http-helpers.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, amqpPlainPort: 0, dashboard: false, eventHub: { consumerGroups: ['Analytics'] } });
});
afterAll(async () => {
  await hub.stop();
});
beforeEach(async () => {
  await hub.reset();
});

const PATH = '/emulator/eventhub/consumergroups';

describe('/emulator/eventhub/consumergroups', () => {
  it('lists, creates, shows and deletes consumer groups, with 409 for one that exists and 404 for one that does not', async () => {
    expect((await call(hub, { method: 'GET', path: PATH })).json).toEqual([{ name: '$Default' }, { name: 'Analytics' }]);
    const created = await call(hub, { method: 'PUT', path: `${PATH}/Workshop` });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ name: 'Workshop' });
    expect((await call(hub, { method: 'GET', path: `${PATH}/workshop` })).json).toEqual({ name: 'Workshop' });
    const again = await call(hub, { method: 'PUT', path: `${PATH}/WORKSHOP` });
    expect(again.status).toBe(409);
    expect(errorOf(again).name).toBe('Conflict');
    expect(hub.consumerGroups.list()).toEqual(['$Default', 'Analytics', 'Workshop']);

    const deleted = await call(hub, { method: 'DELETE', path: `${PATH}/workshop` });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    for (const method of ['DELETE', 'GET'] as const) {
      const missing = await call(hub, { method, path: `${PATH}/workshop` });
      expect(missing.status).toBe(404);
      expect(errorOf(missing).name).toBe('NotFound');
    }
  });

  it('refuses a name the service refuses and deleting $Default with 400', async () => {
    const bad = await call(hub, { method: 'PUT', path: `${PATH}/${'x'.repeat(51)}` });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).name).toBe('ArgumentInvalid');
    expect((await call(hub, { method: 'PUT', path: `${PATH}/a%20b` })).status).toBe(400);
    expect((await call(hub, { method: 'DELETE', path: `${PATH}/$Default` })).status).toBe(400);
  });

  it('is for the owner only: the service policy gets 401 IotHubUnauthorizedAccess and nothing changes', async () => {
    for (const [method, path] of [['GET', PATH], ['PUT', `${PATH}/x`], ['DELETE', `${PATH}/Analytics`]] as const) {
      const response = await call(hub, { method, path, policy: 'service' });
      expect(response.status).toBe(401);
      expect(errorOf(response).name).toBe('IotHubUnauthorizedAccess');
    }
    expect(hub.consumerGroups.list()).toEqual(['$Default', 'Analytics']);
  });

  it('emits a request event for each call, as the other controls do', async () => {
    const seen: RequestEvent[] = [];
    const listener = (e: RequestEvent): void => void seen.push(e);
    hub.events.on('request', listener);
    try {
      await call(hub, { method: 'PUT', path: `${PATH}/evented` });
      await expect.poll(() => seen.some((e) => e.status === 201)).toBe(true);
    } finally {
      hub.events.off('request', listener);
    }
  });

  it('a reset brings back the configured groups', async () => {
    hub.consumerGroups.create('temp');
    hub.consumerGroups.delete('analytics');
    await call(hub, { method: 'POST', path: '/emulator/reset' });
    expect(hub.consumerGroups.list()).toEqual(['$Default', 'Analytics']);
  });
});

describe('readers of run-time consumer groups', { timeout: 30_000 }, () => {
  let c: Connection | undefined;
  afterAll(() => c?.close());

  async function ehConnection(): Promise<Connection> {
    const audience = `sb://${hub.hostName}/${hub.eventHub.name}`;
    const connection = await connect(hub.ports.amqpPlain ?? 0);
    expect((await putToken(connection, audience, serviceToken(audience, 'service', { keyBytes: 'utf8' }))).status).toBe(200);
    return connection;
  }

  /** A receiver from the start of the partition `deviceId` sends to, collecting bodies and its detach error. */
  async function reader(connection: Connection, group: string, deviceId: string) {
    const address = `${hub.eventHub.name}/ConsumerGroups/${group}/Partitions/${hub.eventHub.partitionOf(deviceId)}`;
    const filter = { 'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x468c00000004) };
    const bodies: string[] = [];
    const detached: string[] = [];
    const attached = await attachReceiver(connection, { source: { address, filter }, credit_window: 10, autoaccept: true });
    // Event bodies arrive as a data section.
    attached.link.on('message', (ctx: EventContext) => bodies.push(Buffer.from(((ctx.message as Message).body as { content: Buffer }).content).toString()));
    attached.link.on('receiver_error', (ctx: EventContext) => detached.push(((ctx.receiver as Receiver).error as { condition?: string } | undefined)?.condition ?? 'unknown'));
    return { ...attached, bodies, detached };
  }

  it('reads a created group, detaches its readers with amqp:not-found when it is deleted, and refuses an unknown group', async () => {
    c = await ehConnection();
    hub.createDevice('cg-sender');
    const device = await connectRaw(hub, 'cg-sender');
    try {
      hub.consumerGroups.create('live');
      const live = await reader(c, 'LIVE', 'cg-sender');
      expect(live.error).toBeUndefined();
      await device.client.publishAsync('devices/cg-sender/messages/events/', 'hello', { qos: 1 });
      await expect.poll(() => live.bodies).toEqual(['hello']);

      hub.consumerGroups.delete('live');
      await expect.poll(() => live.detached).toEqual(['amqp:not-found']);
      expect((await reader(c, 'live', 'cg-sender')).error?.condition).toBe('amqp:not-found');
      expect((await reader(c, 'never-made', 'cg-sender')).error?.condition).toBe('amqp:not-found');
    } finally {
      await device.close();
    }
  });
});
