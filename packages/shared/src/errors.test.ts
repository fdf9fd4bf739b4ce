import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  HubError,
  isHubError,
  toEnvelope1,
  toEnvelope2,
  toHubError,
  wireErrorName,
  type ErrorCodeName,
} from './errors.js';

// The Node service SDK's REST error handling (CommonJS), to check envelope 1 the way it reads it.
const require = createRequire(import.meta.url);
const { RestApiClient } = require('azure-iothub/dist/common-http/rest_api_client.js') as typeof import('azure-iothub/dist/common-http/rest_api_client.js');
const { Http } = require('azure-iothub/dist/common-http/http.js') as typeof import('azure-iothub/dist/common-http/http.js');

const NAMES = Object.keys(ERROR_CODES) as ErrorCodeName[];
const NOW = new Date(Date.UTC(2019, 11, 29, 0, 58, 49, 931));

/** How the Node SDK extracts the error name from envelope 1. */
function sdkErrorName(message: string): string | undefined {
  return message.split(';')[0]?.split(':')[1];
}

describe('the error table', () => {
  it.each([
    ['ArgumentInvalid', 400, 400004],
    ['ArgumentNull', 400, 400005],
    ['IotHubFormatError', 400, 400006],
    ['IotHubUnauthorizedAccess', 401, 401002],
    ['IotHubUnauthorized', 401, 401003],
    ['IotHubQuotaExceeded', 403, 403002],
    ['DeviceMaximumQueueDepthExceeded', 403, 403004],
    ['DeviceNotFound', 404, 404001],
    ['JobNotFound', 404, 404002],
    ['ModuleNotFound', 404, 404010],
    ['DeviceNotOnline', 404, 404103],
    ['DeviceAlreadyExists', 409, 409001],
    ['ModuleAlreadyExistsOnDevice', 409, 409301],
    ['PreconditionFailed', 412, 412001],
    ['DeviceMessageLockLost', 412, 412002],
    ['MessageTooLarge', 413, 413001],
    ['TooManyDevices', 413, 413002],
    ['ThrottlingException', 429, 429001],
    ['ServerError', 500, 500001],
    ['ServiceUnavailable', 503, 503001],
    ['GatewayTimeout', 504, 504101],
  ] as const)('maps %s to HTTP %i and hub code %i', (name, status, code) => {
    expect(ERROR_CODES[name]).toEqual({ status, code });
  });

  it.each(NAMES)('gives %s an HTTP status equal to the first three digits of its six-digit hub code', (name) => {
    const { status, code } = ERROR_CODES[name];
    expect(code).toBeGreaterThanOrEqual(100000);
    expect(code).toBeLessThan(1000000);
    expect(status).toBe(Math.floor(code / 1000));
  });

  it('gives each numeric code to one name, except InvalidQuery which shares ArgumentInvalid\'s 400004', () => {
    const byCode = new Map<number, ErrorCodeName[]>();
    for (const name of NAMES) byCode.set(ERROR_CODES[name].code, [...(byCode.get(ERROR_CODES[name].code) ?? []), name]);
    for (const [code, names] of byCode) {
      if (code === 400004) expect(names.sort()).toEqual(['ArgumentInvalid', 'InvalidQuery']);
      else expect(names).toHaveLength(1);
    }
  });

  it('keeps 412002 for a lost C2D message lock, never for etag failures', () => {
    expect(ERROR_CODES.PreconditionFailed.code).toBe(412001);
    expect(NAMES.filter((name) => (ERROR_CODES[name].code as number) === 412002)).toEqual(['DeviceMessageLockLost']);
  });
});

describe('HubError', () => {
  it('carries the name, HTTP status and hub code from the table', () => {
    const error = new HubError('DeviceNotFound', 'Device d1 not found.', { deviceId: 'd1' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HubError');
    expect(error.errorCode).toBe('DeviceNotFound');
    expect(error.status).toBe(404);
    expect(error.code).toBe(404001);
    expect(error.message).toBe('Device d1 not found.');
    expect(error.info).toEqual({ deviceId: 'd1' });
  });

  it('never carries a ";" in its text (Node splits envelope 1 on it): between clauses it becomes " - ", elsewhere ","', () => {
    expect(new HubError('ArgumentInvalid', 'The header is empty; send a value.').message).toBe('The header is empty - send a value.');
    expect(new HubError('DeviceNotFound', 'a;b;;c').message).toBe('a,b,,c');
    expect(toEnvelope2(new HubError('DeviceNotOnline', 'x;\ny'), 't', NOW).message).toBe('x - y');
  });

  it('has empty info by default', () => {
    expect(new HubError('ServerError', 'x').info).toEqual({});
  });

  it('is recognised by isHubError and nothing else is', () => {
    expect(isHubError(new HubError('ServerError', 'x'))).toBe(true);
    expect(isHubError(new Error('x'))).toBe(false);
    expect(isHubError({ errorCode: 'ServerError', status: 500, code: 500001 })).toBe(false);
  });
});

describe('toHubError', () => {
  it('passes a HubError through unchanged', () => {
    const error = new HubError('PreconditionFailed', 'PreconditionFailed, ETag may be invalid.');
    expect(toHubError(error)).toBe(error);
  });

  it('turns any other thrown value into a ServerError that does not leak the original message', () => {
    for (const thrown of [new Error('secret stack detail'), 'a string', 42, undefined]) {
      const error = toHubError(thrown);
      expect(error.errorCode).toBe('ServerError');
      expect(error.status).toBe(500);
      expect(error.code).toBe(500001);
      expect(error.message).toBe('An internal error occurred.');
      expect(error.message).not.toContain('secret');
    }
    expect(toHubError(new Error('secret stack detail')).info).toEqual({ cause: 'secret stack detail' });
  });
});

describe('envelope 1 (REST registry, twin, query, jobs, configurations)', () => {
  it('writes Message as ErrorCode:<Name>;<text> and ExceptionMessage with the tracking id and time', () => {
    const body = toEnvelope1(new HubError('PreconditionFailed', 'PreconditionFailed, ETag may be invalid.'), 'abc123', NOW);
    expect(body).toEqual({
      Message: 'ErrorCode:PreconditionFailed;PreconditionFailed, ETag may be invalid.',
      ExceptionMessage: 'Tracking ID:abc123-G:0-TimeStamp:12/29/2019 00:58:49',
    });
  });

  it.each(NAMES)('lets the Node SDK split the name and the whole text out of Message for %s, even a text with ";"', (name) => {
    const body = toEnvelope1(new HubError(name, "Something went wrong: details; more details on 'a;b'."), 't', NOW);
    expect(sdkErrorName(body.Message)).toBe(wireErrorName(name));
    expect(body.Message.split(';')).toHaveLength(2);
    expect(Http.parseErrorBody(JSON.stringify(body))).toEqual({ code: wireErrorName(name), message: "Something went wrong: details - more details on 'a,b'." });
  });

  it('names a refused query BadRequest on the wire', () => {
    expect(wireErrorName('InvalidQuery')).toBe('BadRequest');
    expect(sdkErrorName(toEnvelope1(new HubError('InvalidQuery', 'Syntax error.'), 't', NOW).Message)).toBe('BadRequest');
    expect(wireErrorName('DeviceNotFound')).toBe('DeviceNotFound');
  });

  it('turns into the Node service SDK\'s typed errors', () => {
    const cases: Array<[ErrorCodeName, string]> = [
      ['ArgumentInvalid', 'ArgumentError'],
      ['IotHubUnauthorized', 'UnauthorizedError'],
      ['DeviceNotFound', 'DeviceNotFoundError'],
      ['DeviceAlreadyExists', 'DeviceAlreadyExistsError'],
      ['PreconditionFailed', 'InvalidEtagError'],
      ['ThrottlingException', 'ThrottlingError'],
      ['ServerError', 'InternalServerError'],
      ['ServiceUnavailable', 'ServiceUnavailableError'],
      ['GatewayTimeout', 'GatewayTimeoutError'],
    ];
    for (const [name, sdkClass] of cases) {
      const hubError = new HubError(name, `text for ${name}`);
      const body = JSON.stringify(toEnvelope1(hubError, 't', NOW));
      const translated = RestApiClient.translateError(body, { statusCode: hubError.status } as never) as Error;
      expect(translated.constructor.name).toBe(sdkClass);
      expect(translated.message).toBe(`text for ${name}`);
    }
  });

  it('writes the tracking timestamp in UTC with zero padding', () => {
    const body = toEnvelope1(new HubError('ServerError', 'x'), 'id', new Date(Date.UTC(2024, 0, 5, 3, 4, 5)));
    expect(body.ExceptionMessage).toBe('Tracking ID:id-G:0-TimeStamp:01/05/2024 03:04:05');
  });
});

describe('envelope 2 (direct methods and $iothub/twin/res bodies)', () => {
  it('carries a numeric errorCode, the tracking id, the message, info and timestampUtc', () => {
    const body = toEnvelope2(new HubError('ArgumentInvalid', 'Invalid reported properties: bad key.'), 'abc123', NOW);
    expect(body).toEqual({
      errorCode: 400004,
      trackingId: 'abc123',
      message: 'Invalid reported properties: bad key.',
      info: {},
      timestampUtc: NOW.toISOString(),
    });
  });

  it.each(NAMES)('keeps errorCode a truthy number after JSON for %s, so the Node device SDK fails the request', (name) => {
    const text = JSON.stringify(toEnvelope2(new HubError(name, 'm'), 't', NOW));
    const parsed = JSON.parse(text) as { errorCode: unknown; message: unknown };
    expect(typeof parsed.errorCode).toBe('number');
    expect(parsed.errorCode).toBe(ERROR_CODES[name].code);
    expect(Boolean(parsed.errorCode)).toBe(true);
    expect(parsed.message).toBe('m');
  });

  it('does not expose the internal info of a wrapped error', () => {
    const body = toEnvelope2(toHubError(new Error('secret stack detail')), 't', NOW);
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});
