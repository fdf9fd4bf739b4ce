import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HubEvents, type RequestEvent } from '@hubemu/hub-emulator';
import { createLogger, logHubRequests } from './log.js';

function capture(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: tty });
  const chunks: Buffer[] = [];
  (stream as unknown as PassThrough).on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const event = (status: number, extra: Partial<RequestEvent> = {}): RequestEvent => ({
  plane: 'mqtt',
  operation: 'twin.get',
  deviceId: 'd1',
  status,
  requestId: '7',
  requestBytes: 0,
  responseBytes: 10,
  durationMs: 1.234,
  at: '2024-01-01T00:00:00.0000000Z',
  ...extra,
});

describe('the CLI log', () => {
  it('writes JSON lines when stdout is not a terminal, with each request at its level (2xx debug, 4xx info, 5xx error)', async () => {
    const out = capture(false);
    const logger = createLogger('debug', out.stream);
    const events = new HubEvents();
    logHubRequests({ events }, logger);
    events.emit('request', event(200));
    events.emit('request', event(404, { errorCode: 'DeviceNotFound', message: 'd9' }));
    events.emit('request', event(500, { plane: 'http', operation: 'GET /twins/:deviceId', errorCode: 'ServerError', message: 'boom' }));
    await expect.poll(() => out.text().trim().split('\n').length).toBe(3);
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.level)).toEqual([20, 30, 50]);
    expect(lines[0]).toMatchObject({ plane: 'mqtt', status: 200, deviceId: 'd1', requestId: '7', msg: 'twin.get' });
    expect(lines[1]).toMatchObject({ errorCode: 'DeviceNotFound', msg: 'twin.get: d9' });
    expect(lines[2]).toMatchObject({ plane: 'http', msg: 'GET /twins/:deviceId: boom' });
  });

  it('writes human-readable lines on a terminal', async () => {
    const out = capture(true);
    const logger = createLogger('info', out.stream);
    logger.info({ deviceId: 'd1' }, 'device connected');
    await expect.poll(() => out.text()).toContain('device connected');
    expect(() => JSON.parse(out.text())).toThrow();
    expect(out.text()).toContain('deviceId');
  });
});
