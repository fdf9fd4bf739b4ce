import { describe, expect, it } from 'vitest';
import { isDeviceClientError } from '../errors.js';
import { ManualScheduler } from '../scheduler/manual-scheduler.js';
import { RequestTracker } from './request-tracker.js';

const response = (status: number) => ({ status, version: undefined, body: Buffer.alloc(0) });

describe('RequestTracker', () => {
  it('gives every request its own $rid', () => {
    const tracker = new RequestTracker(new ManualScheduler());
    const a = tracker.begin(1000, 'a');
    const b = tracker.begin(1000, 'b');
    expect(a.rid).not.toBe(b.rid);
    expect(tracker.size).toBe(2);
  });

  it('matches responses that arrive out of order to their requests', async () => {
    const tracker = new RequestTracker(new ManualScheduler());
    const first = tracker.begin(1000, 'first');
    const second = tracker.begin(1000, 'second');
    expect(tracker.settle(second.rid, response(204))).toBe(true);
    expect(tracker.settle(first.rid, response(200))).toBe(true);
    await expect(first.response).resolves.toMatchObject({ status: 200 });
    await expect(second.response).resolves.toMatchObject({ status: 204 });
  });

  it('ignores a response for a $rid nobody waits for', () => {
    const tracker = new RequestTracker(new ManualScheduler());
    expect(tracker.settle('nope', response(200))).toBe(false);
  });

  it('rejects with Timeout when no response comes in time, and ignores a late one', async () => {
    const scheduler = new ManualScheduler();
    const tracker = new RequestTracker(scheduler);
    const request = tracker.begin(500, 'twin GET');
    const outcome = request.response.catch((e: unknown) => e);
    await scheduler.advance(499);
    expect(tracker.size).toBe(1);
    await scheduler.advance(1);
    const error = await outcome;
    expect(isDeviceClientError(error, 'Timeout')).toBe(true);
    expect(tracker.settle(request.rid, response(200))).toBe(false);
  });

  it('fails every waiting request at once when the connection drops', async () => {
    const tracker = new RequestTracker(new ManualScheduler());
    const a = tracker.begin(1000, 'a').response.catch((e: Error) => e.message);
    const b = tracker.begin(1000, 'b').response.catch((e: Error) => e.message);
    tracker.failAll(new Error('gone'));
    expect(await a).toBe('gone');
    expect(await b).toBe('gone');
    expect(tracker.size).toBe(0);
  });
});
