import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection, EventContext, Message, Receiver } from 'rhea';
import { attachReceiver, attachSender, connect, HOST, putToken, rhea, serviceToken, startKit, type Kit } from './amqp-test-kit.fixtures.js';

let kit: Kit;
beforeEach(async () => {
  kit = await startKit();
});
afterEach(async () => {
  await kit.close();
});

const ENTITY = 'kit-hub';
const partitionAddress = (p: number | string, group = '$Default') => `${ENTITY}/ConsumerGroups/${group}/Partitions/${p}`;

async function ehConnection(audience = `sb://${HOST}/${ENTITY}`): Promise<Connection> {
  const c = await connect(kit.port);
  expect((await putToken(c, audience, serviceToken(audience, 'service', { keyBytes: 'utf8' }))).status).toBe(200);
  return c;
}

function selector(text: string) {
  return { 'apache.org:selector-filter:string': rhea.types.wrap_described(text, 0x468c00000004) };
}

/** Opens a partition receiver with explicit credit and collects what it gets. */
async function reader(c: Connection, address: string, filter: string | undefined, credit: number, extra: Record<string, unknown> = {}) {
  const messages: Message[] = [];
  const attached = await attachReceiver(c, { source: { address, ...(filter ? { filter: selector(filter) } : {}) }, credit_window: 0, autoaccept: true, ...extra });
  attached.link.on('message', (ctx: EventContext) => messages.push(ctx.message as Message));
  if (!attached.error) attached.link.add_credit(credit);
  return { ...attached, messages };
}

async function managementClient(c: Connection): Promise<(props: Record<string, string>) => Promise<Message>> {
  const { link: replies } = await attachReceiver(c, { source: { address: '$management' }, target: { address: 'mgmt-reply' }, name: 'mgmt-reply' });
  const { link: requests, error } = await attachSender(c, { target: { address: '$management' } });
  expect(error).toBeUndefined();
  return (props) => {
    const id = rhea.generate_uuid();
    const answer = new Promise<Message>((resolve) => replies.on('message', (ctx: EventContext) => ctx.message?.correlation_id === id && resolve(ctx.message)));
    requests.send({ message_id: id, reply_to: 'mgmt-reply', application_properties: { operation: 'READ', name: ENTITY, ...props }, body: Buffer.from('[]') });
    return answer;
  };
}

describe('$management READ', () => {
  it('answers the event hub and a partition with the SDK types', async () => {
    kit.log.append(1, 'd1', 'a');
    const c = await ehConnection(`sb://${HOST}/${ENTITY}/$management`);
    const management = await managementClient(c);
    const hub = await management({ type: 'com.microsoft:eventhub' });
    expect(hub.application_properties?.['status-code']).toBe(200);
    expect(hub.body).toEqual({ name: ENTITY, type: 'com.microsoft:eventhub', created_at: new Date(kit.log.createdAtMs), partition_count: 2, partition_ids: ['0', '1'] });
    const part = await management({ type: 'com.microsoft:partition', partition: '1' });
    expect(part.body).toMatchObject({ partition: '1', begin_sequence_number: 0, last_enqueued_sequence_number: 0, last_enqueued_offset: '0', is_partition_empty: false });
    const missing = await management({ type: 'com.microsoft:partition', partition: '7' });
    expect(missing.application_properties?.['status-code']).toBe(404);
    c.close();
  });
});

describe('partition receivers', () => {
  it('reads from the earliest, stamps §8 annotations with their AMQP types and sends no more than the credit', async () => {
    kit.log.append(0, 'd1', 'one', { messageId: 'm1', contentType: 'application/json', properties: { colour: 'red' } });
    kit.log.append(0, 'd1', 'two');
    kit.log.append(0, 'd1', 'three');
    const c = await ehConnection();
    const r = await reader(c, partitionAddress(0), "amqp.annotation.x-opt-offset > '-1'", 2);
    expect(r.error).toBeUndefined();
    await expect.poll(() => r.messages.length).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.messages).toHaveLength(2);
    const [first] = r.messages as [Message];
    expect(first.message_annotations).toMatchObject({
      'iothub-connection-device-id': 'd1',
      'iothub-message-source': 'Telemetry',
      'x-opt-sequence-number': 0,
      'x-opt-offset': '0',
      'x-opt-enqueued-time': new Date(Date.UTC(2026, 0, 1)),
    });
    expect(first.message_id).toBe('m1');
    expect(first.content_type).toBe('application/json');
    expect(first.application_properties).toEqual({ colour: 'red' });
    expect(Buffer.from((first.body as { content: Buffer }).content).toString()).toBe('one');
    r.link.add_credit(5);
    await expect.poll(() => r.messages.map((m) => m.message_annotations?.['x-opt-sequence-number'])).toEqual([0, 1, 2]);
    c.close();
  });

  it('starts after a sequence number, at an enqueued time, or at the latest and follows new appends', async () => {
    for (const body of ['a', 'b', 'c']) kit.log.append(1, 'd2', body);
    const c = await ehConnection();
    const afterSeq = await reader(c, partitionAddress(1), "amqp.annotation.x-opt-sequence-number > '0'", 10);
    const atTime = await reader(c, partitionAddress(1, 'audit'), `amqp.annotation.x-opt-enqueued-time > '${Date.UTC(2026, 0, 1, 0, 0, 1)}'`, 10);
    const latest = await reader(c, partitionAddress(1, '$default'), undefined, 10);
    await expect.poll(() => afterSeq.messages.length).toBe(2);
    await expect.poll(() => atTime.messages.length).toBe(1);
    expect(latest.messages).toHaveLength(0);
    kit.log.append(1, 'd2', 'd');
    await expect.poll(() => latest.messages.length).toBe(1);
    await expect.poll(() => afterSeq.messages.length).toBe(3);
    c.close();
  });

  it('adds runtime metrics as delivery annotations when the reader asks for them', async () => {
    kit.log.append(0, 'd1', 'x');
    kit.log.append(0, 'd1', 'y');
    const c = await ehConnection();
    const r = await reader(c, partitionAddress(0), "amqp.annotation.x-opt-offset > '-1'", 1, { desired_capabilities: ['com.microsoft:enable-receiver-runtime-metric'] });
    await expect.poll(() => r.messages.length).toBe(1);
    expect(r.messages[0]?.delivery_annotations).toMatchObject({ last_enqueued_sequence_number: 1, last_enqueued_offset: '1000' });
    c.close();
  });

  it('refuses an unknown consumer group, partition or entity with amqp:not-found, and a token for another partition with unauthorized-access', async () => {
    const c = await ehConnection();
    expect((await reader(c, partitionAddress(0, 'nobody'), undefined, 1)).error?.condition).toBe('amqp:not-found');
    expect((await reader(c, partitionAddress(9), undefined, 1)).error?.condition).toBe('amqp:not-found');
    expect((await reader(c, `other/ConsumerGroups/$Default/Partitions/0`, undefined, 1)).error?.condition).toBe('amqp:unauthorized-access');
    const narrow = await connect(kit.port);
    const audience = `sb://${HOST}/${ENTITY}/ConsumerGroups/$Default/Partitions/0`;
    await putToken(narrow, audience, serviceToken(audience, 'service', { keyBytes: 'utf8' }));
    expect((await reader(narrow, partitionAddress(0), undefined, 1)).error).toBeUndefined();
    expect((await reader(narrow, partitionAddress(1), undefined, 1)).error?.condition).toBe('amqp:unauthorized-access');
    c.close();
    narrow.close();
  });

  it('lets a reader with a higher epoch take the partition (amqp:link:stolen for the old one) and refuses a lower one', async () => {
    const c = await ehConnection();
    const epoch = (n: number) => ({ properties: { 'com.microsoft:epoch': rhea.types.wrap_long(n) } });
    const first = await reader(c, partitionAddress(0), undefined, 1, epoch(1));
    expect(first.error).toBeUndefined();
    const stolen = new Promise<string | undefined>((resolve) => first.link.on('receiver_error', (ctx: EventContext) => resolve((ctx.receiver as Receiver).error && ((ctx.receiver as Receiver).error as { condition: string }).condition)));
    const second = await reader(c, partitionAddress(0), undefined, 1, epoch(2));
    expect(second.error).toBeUndefined();
    expect(await stolen).toBe('amqp:link:stolen');
    expect((await reader(c, partitionAddress(0), undefined, 1, epoch(1))).error?.condition).toBe('amqp:link:stolen');
    c.close();
  });
});
