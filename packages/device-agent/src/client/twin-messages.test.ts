import { describe, expect, it } from 'vitest';
import { parseDesiredPatch, parseTwinDocument, twinResponseError } from './twin-messages.js';

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('twin response parsing', () => {
  it('reads a GET body without a properties wrapper', () => {
    const doc = parseTwinDocument(body({ desired: { $version: 1 }, reported: { temperature: 32, $version: 2 } }), '1');
    expect(doc).toEqual({ desired: { $version: 1 }, reported: { temperature: 32, $version: 2 } });
  });

  it('also reads the properties wrapper of the old docs', () => {
    const doc = parseTwinDocument(body({ properties: { desired: { a: 1, $version: 4 }, reported: { $version: 1 } } }), '1');
    expect(doc.desired).toEqual({ a: 1, $version: 4 });
  });

  it('drops $metadata should a hub send it', () => {
    const doc = parseTwinDocument(body({ desired: { $metadata: {}, $version: 1 }, reported: { $version: 1 } }), '1');
    expect(doc.desired).not.toHaveProperty('$metadata');
  });

  it('rejects a GET body that is not a twin', () => {
    expect(() => parseTwinDocument(body('nope'), '7')).toThrow(/not \{desired, reported\}/);
  });

  it('turns an errorCode body into a HubError with the hub code, status and tracking id', () => {
    const error = twinResponseError(
      { status: 400, version: undefined, body: body({ errorCode: 400004, trackingId: 't1', message: 'Bad patch' }) },
      '9',
      'reported PATCH',
    );
    expect(error).toMatchObject({ kind: 'HubError', status: 400, errorCode: 400004, trackingId: 't1', rid: '9' });
    expect(error?.message).toContain('Bad patch');
  });

  it('treats an errorCode in a 200 body as an error, as Node does', () => {
    expect(twinResponseError({ status: 200, version: undefined, body: body({ errorCode: 500001 }) }, '1', 'GET')).toMatchObject({ errorCode: 500001 });
  });

  it('treats a status of 300 or more without a body as an error', () => {
    expect(twinResponseError({ status: 429, version: undefined, body: Buffer.alloc(0) }, '1', 'GET')).toMatchObject({ kind: 'HubError', status: 429 });
  });

  it('accepts 204 with an empty body', () => {
    expect(twinResponseError({ status: 204, version: 3, body: Buffer.alloc(0) }, '1', 'PATCH')).toBeUndefined();
  });

  it('takes a desired notification $version from the body, else from the topic', () => {
    expect(parseDesiredPatch(body({ a: 1, $version: 8 }), 99)).toEqual({ a: 1, $version: 8 });
    expect(parseDesiredPatch(body({ a: 1 }), 9)).toEqual({ a: 1, $version: 9 });
    expect(parseDesiredPatch(body('[1]'), 9)).toBeUndefined();
  });
});
