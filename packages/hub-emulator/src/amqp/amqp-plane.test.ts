import { connect as netConnect } from 'node:net';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@hubemu/shared';
import type { EventContext } from 'rhea';
import { attachReceiver, attachSender, connect, HOST, putToken, rhea, serviceToken, startKit, type Kit } from './amqp-test-kit.fixtures.js';

let kit: Kit;
beforeEach(async () => {
  kit = await startKit();
});
afterEach(async () => {
  await kit.close();
});

describe('CBS put-token', () => {
  it('accepts a service token signed with the base64-decoded key (azure-iothub) and answers status-code 200 as an AMQP int', async () => {
    const c = await connect(kit.port);
    const answer = await putToken(c, HOST, serviceToken(HOST));
    expect(answer).toEqual({ status: 200, description: 'OK' });
    expect(kit.requests.find((r) => r.operation === 'cbs.putToken')).toMatchObject({ plane: 'amqp', status: 200, principal: 'service' });
    c.close();
  });

  it('accepts an Event Hubs token signed with the UTF-8 key text for a partition audience', async () => {
    const c = await connect(kit.port);
    const audience = `sb://${HOST}/kit-hub/ConsumerGroups/$default/Partitions/0`;
    expect((await putToken(c, audience, serviceToken(audience, 'service', { keyBytes: 'utf8' }))).status).toBe(200);
    c.close();
  });

  it.each([
    ['a bad signature', () => serviceToken(HOST).replace(/sig=[^&]+/, 'sig=AAAA')],
    ['an expired token', () => serviceToken(HOST, 'service', { expirySeconds: Math.floor(Date.now() / 1000) - 10 })],
    ['a token for another hub', () => serviceToken('other-hub.example.test')],
    ['a policy without ServiceConnect (registryRead)', () => serviceToken(HOST, 'registryRead')],
    ['a policy that does not exist', () => serviceToken(HOST).replace('skn=service', 'skn=nobody')],
  ])('answers 401 for %s, and links stay closed', async (_what, token) => {
    const c = await connect(kit.port);
    const answer = await putToken(c, HOST, token());
    expect(answer.status).toBe(401);
    expect(typeof answer.description).toBe('string');
    const attached = await attachSender(c, { target: { address: '/messages/devicebound' } });
    expect(attached.error?.condition).toBe('amqp:unauthorized-access');
    c.close();
  });
});

describe('link routing', () => {
  it('refuses a C2D link before any token is put (amqp:unauthorized-access) and records the refusal', async () => {
    const c = await connect(kit.port);
    const attached = await attachSender(c, { target: { address: '/messages/devicebound' } });
    expect(attached.error?.condition).toBe('amqp:unauthorized-access');
    expect(kit.requests.find((r) => r.operation === 'link.attach')).toMatchObject({ plane: 'amqp', status: 401, topic: '/messages/devicebound' });
    c.close();
  });

  it('refuses an unknown address with amqp:not-found, even with a token for the whole hub', async () => {
    const c = await connect(kit.port);
    await putToken(c, HOST, serviceToken(HOST));
    expect((await attachReceiver(c, { source: { address: '/no/such/node' } })).error?.condition).toBe('amqp:not-found');
    expect((await attachSender(c, { target: { address: '' } })).error?.condition).toBe('amqp:not-found');
    c.close();
  });

  it('closes a connection that sends garbage and keeps serving the others', async () => {
    const good = await connect(kit.port);
    const bad = netConnect(kit.port, '127.0.0.1');
    await once(bad, 'connect');
    bad.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n garbage garbage'));
    bad.resume();
    await once(bad, 'close');
    const framed = netConnect(kit.port, '127.0.0.1');
    await once(framed, 'connect');
    // A valid AMQP header, then a frame whose body is not AMQP.
    framed.write(Buffer.concat([Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'), Buffer.from([0, 0, 0, 12, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])]));
    framed.resume();
    await once(framed, 'close');
    expect((await putToken(good, HOST, serviceToken(HOST))).status).toBe(200);
    const other = await connect(kit.port);
    expect((await putToken(other, HOST, serviceToken(HOST))).status).toBe(200);
    good.close();
    other.close();
  });

  it('survives seeded random bytes after an AMQP, a SASL or a bad protocol header, each on its own connection', async () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const headers = [Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'), Buffer.from('AMQP\x03\x01\x00\x00', 'latin1'), Buffer.from('AMQP\x07\x01\x00\x00', 'latin1')];
    for (let i = 0; i < 24; i++) {
      const socket = netConnect(kit.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      const garbage = Buffer.from(Array.from({ length: 8 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      // Some frames declare a plausible size, so the garbage reaches the frame decoder.
      if (i % 2 === 0) garbage.writeUInt32BE(garbage.length, 0);
      socket.write(Buffer.concat([headers[i % 3] as Buffer, garbage]));
      socket.resume();
      socket.end();
      await once(socket, 'close');
    }
    const c = await connect(kit.port);
    expect((await putToken(c, HOST, serviceToken(HOST))).status).toBe(200);
    await expect.poll(() => kit.plane.connectionCount()).toBe(1);
    c.close();
  });

  it('accepts SASL ANONYMOUS and PLAIN as well as no SASL on the same port', async () => {
    const anonymous = await connect(kit.port, { sasl_mechanisms: (() => { const m = rhea.sasl.client_mechanisms(); m.enable_anonymous('service'); return m; })() });
    expect((await putToken(anonymous, HOST, serviceToken(HOST))).status).toBe(200);
    const plain = await connect(kit.port, { username: 'service@sas.root.kit-hub', password: serviceToken(`${HOST}/messages/events`) });
    expect((await putToken(plain, HOST, serviceToken(HOST))).status).toBe(200);
    anonymous.close();
    plain.close();
  });
});

describe('token expiry', () => {
  it('closes a link when the token that opened it expires and no newer token covers it', async () => {
    const clock = new ManualClock(Date.now());
    const timed = await startKit({ clock });
    try {
      const c = await connect(timed.port);
      const se = Math.floor(clock.now() / 1000) + 60;
      expect((await putToken(c, HOST, serviceToken(HOST, 'service', { expirySeconds: se }))).status).toBe(200);
      const renewed = await attachSender(c, { target: { address: '/messages/devicebound' } });
      const { link, error } = await attachReceiver(c, { source: { address: '/messages/serviceBound/feedback' } });
      expect(error ?? renewed.error).toBeUndefined();
      const closed = new Promise<string>((resolve) => link.on('receiver_error', (ctx: EventContext) => resolve((ctx.receiver?.error as { condition: string }).condition)));
      // A renewal for the C2D audience only: the feedback link has nothing left once the first token runs out.
      const feedbackOnly = `${HOST}/messages/devicebound`;
      expect((await putToken(c, feedbackOnly, serviceToken(feedbackOnly, 'service', { expirySeconds: se + 3600 }))).status).toBe(200);
      await clock.set((se + 1) * 1000);
      expect(await closed).toBe('amqp:unauthorized-access');
      expect(renewed.link.is_closed()).toBe(false);
      expect((await attachReceiver(c, { source: { address: '/messages/serviceBound/feedback' } })).error?.condition).toBe('amqp:unauthorized-access');
      c.close();
    } finally {
      await timed.close();
    }
  });
});

describe('open timeout', () => {
  it('cuts off a connection that sends nothing, or only the protocol header, once the open timeout passes, and keeps opened ones', async () => {
    const quick = await startKit({ openTimeoutMs: 200 });
    try {
      const opened = await connect(quick.port);
      const silent = netConnect(quick.port, '127.0.0.1');
      const headerOnly = netConnect(quick.port, '127.0.0.1');
      const closed = Promise.all([once(silent, 'close'), once(headerOnly, 'close')]);
      await Promise.all([once(silent, 'connect'), once(headerOnly, 'connect')]);
      headerOnly.write(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'));
      silent.resume();
      headerOnly.resume();
      await closed;
      // Opened before the other two, so its own timeout has passed too.
      expect((await putToken(opened, HOST, serviceToken(HOST))).status).toBe(200);
      expect(quick.plane.connectionCount()).toBe(1);
      opened.close();
    } finally {
      await quick.close();
    }
  });
});

describe('sessions', () => {
  // rhea's frame constructors, to send what rhea's own client sends when a delivery crosses its end.
  const frames = createRequire(import.meta.url)('rhea/lib/frames.js') as { disposition(fields: Record<string, unknown>): unknown };

  it('keeps the connection when the peer settles a delivery on a session it already ended (rhea does), and answers on it as before', async () => {
    const c = await connect(kit.port);
    const session = c.create_session();
    session.begin();
    await once(session, 'session_open');
    const channel = (session as unknown as { local: { channel: number } }).local.channel;
    session.close();
    await once(session, 'session_close');
    const dropped = once(c, 'disconnected').then(() => {
      throw new Error('the hub closed the connection');
    });
    (c as unknown as { _write_frame(channel: number, frame: unknown): void })._write_frame(channel, frames.disposition({ role: true, first: 0, last: 0, settled: true }));
    expect(await Promise.race([putToken(c, HOST, serviceToken(HOST)), dropped])).toEqual({ status: 200, description: 'OK' });
    expect(kit.plane.connectionCount()).toBe(1);
    c.close();
  });
});
