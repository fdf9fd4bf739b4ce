import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventContext, Message } from 'rhea';
import { attachReceiver, attachSender, connect, HOST, putToken, rhea, serviceToken, settle, startKit, type Kit } from './amqp-test-kit.fixtures.js';

let kit: Kit;
beforeEach(async () => {
  kit = await startKit();
});
afterEach(async () => {
  await kit.close();
});

async function c2dSender() {
  const c = await connect(kit.port);
  await putToken(c, HOST, serviceToken(HOST));
  const { link, error } = await attachSender(c, { target: { address: '/messages/devicebound' } });
  expect(error).toBeUndefined();
  return { c, link };
}


describe('C2D send on /messages/devicebound', () => {
  it('maps what azure-iothub sends to the C2D core and accepts it', async () => {
    const { c, link } = await c2dSender();
    const id = '9a3c1f7e-2b4d-4e8f-9a1b-0c2d3e4f5a6b';
    const outcome = await settle(link, {
      to: '/devices/dev%201/messages/devicebound',
      message_id: rhea.string_to_uuid(id),
      correlation_id: 'corr-1',
      absolute_expiry_time: new Date(Date.UTC(2030, 0, 1)),
      content_type: 'application/json',
      content_encoding: 'utf-8',
      application_properties: { 'iothub-ack': 'full', colour: 'red', n: 5 },
      body: rhea.message.data_section(Buffer.from('{"hello":1}')),
    });
    expect(outcome).toEqual({ state: 'accepted' });
    expect(kit.c2d.sent).toEqual([
      {
        deviceId: 'dev 1',
        messageId: id,
        correlationId: 'corr-1',
        expiresAtMs: Date.UTC(2030, 0, 1),
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        ack: 'full',
        properties: { colour: 'red', n: '5' },
        body: Buffer.from('{"hello":1}'),
      },
    ]);
    expect(kit.requests.find((r) => r.operation === 'c2d.send')).toMatchObject({ plane: 'amqp', deviceId: 'dev 1', status: 200, principal: 'service' });
    c.close();
  });

  it('rejects with the conditions azure-iothub maps to DeviceNotFoundError, DeviceMaximumQueueDepthExceededError and a bad request', async () => {
    const { c, link } = await c2dSender();
    const body = rhea.message.data_section(Buffer.from('x'));
    expect(await settle(link, { to: '/devices/missing/messages/devicebound', body })).toEqual({ state: 'rejected', condition: 'amqp:not-found' });
    expect(await settle(link, { to: '/devices/full/messages/devicebound', body })).toEqual({ state: 'rejected', condition: 'amqp:resource-limit-exceeded' });
    expect(await settle(link, { to: '/devices/d1/messages/devicebound', application_properties: { 'iothub-ack': 'sometimes' }, body })).toEqual({
      state: 'rejected',
      condition: 'com.microsoft:argument-error',
    });
    expect(await settle(link, { to: '/somewhere/else', body })).toMatchObject({ state: 'rejected' });
    expect(kit.requests.filter((r) => r.operation === 'c2d.send').map((r) => r.status)).toEqual([404, 403, 400, 400]);
    c.close();
  });
});

describe('feedback on /messages/serviceBound/feedback', () => {
  it('sends a batch within credit as the service does and completes it when the reader accepts', async () => {
    const c = await connect(kit.port);
    await putToken(c, HOST, serviceToken(HOST));
    const { link, error } = await attachReceiver(c, { source: { address: '/messages/serviceBound/feedback' }, autoaccept: true });
    expect(error).toBeUndefined();
    const received = once(link, 'message') as Promise<[EventContext]>;
    const records = [{ originalMessageId: 'm1', enqueuedTimeUtc: '2026-01-01T00:00:00.000Z', statusCode: 'Success' as const, description: 'Success', deviceId: 'd1', deviceGenerationId: '1' }];
    kit.c2d.addFeedback({ lockToken: 'lock-1', messageId: 'fb-1', enqueuedAtMs: Date.UTC(2026, 0, 1), records });
    const [ctx] = await received;
    const message = ctx.message as Message;
    expect(message.content_type).toBe('application/vnd.microsoft.iothub.feedback.json');
    expect(Buffer.from(message.user_id as unknown as Buffer).toString()).toBe('kit-hub');
    expect(message.message_annotations?.['iothub-enqueuedtime']).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect((message.body as { typecode: number }).typecode).toBe(0x75);
    expect(JSON.parse(Buffer.from((message.body as { content: Buffer }).content).toString())).toEqual(records);
    await expect.poll(() => kit.c2d.settled).toEqual([['complete', 'lock-1']]);
    c.close();
  });

  it('matches the address case-insensitively and abandons a batch the reader releases', async () => {
    const c = await connect(kit.port);
    await putToken(c, HOST, serviceToken(HOST));
    const { link } = await attachReceiver(c, { source: { address: '/messages/servicebound/feedback' }, autoaccept: false });
    link.on('message', (ctx: EventContext) => ctx.delivery?.release());
    kit.c2d.addFeedback({ lockToken: 'lock-2', messageId: 'fb-2', enqueuedAtMs: 0, records: [] });
    await expect.poll(() => kit.c2d.settled).toEqual([['abandon', 'lock-2']]);
    c.close();
  });
});
