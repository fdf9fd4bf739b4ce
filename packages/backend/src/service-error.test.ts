import { describe, expect, it } from 'vitest';
import { serviceErrorFromResponse } from './service-error.js';

describe('serviceErrorFromResponse', () => {
  it('reads envelope 1: the name and text from Message and the tracking id from ExceptionMessage', () => {
    const body = JSON.stringify({ Message: 'ErrorCode:DeviceNotFound;sensor-thl-001', ExceptionMessage: 'Tracking ID:06e0abc-G:0-TimeStamp:10/24/2023 16:57:00' });
    const error = serviceErrorFromResponse(404, 'DeviceNotFound', body);
    expect(error).toMatchObject({ status: 404, errorCode: 'DeviceNotFound', code: 404001, message: 'sensor-thl-001', trackingId: '06e0abc' });
  });

  it('reads envelope 2 on its own', () => {
    const body = JSON.stringify({ errorCode: 404103, trackingId: 't1', message: 'Timed out waiting for device to connect.', info: {}, timestampUtc: '2019-10-22T05:06:20.27Z' });
    expect(serviceErrorFromResponse(404, undefined, body)).toMatchObject({ errorCode: 'Unknown', code: 404103, message: 'Timed out waiting for device to connect.', trackingId: 't1' });
  });

  it('reads envelope 2 nested as the JSON text of envelope 1 Message', () => {
    const inner = JSON.stringify({ errorCode: 504101, trackingId: 't2', message: 'Timed out waiting for the response from device.', info: {} });
    const error = serviceErrorFromResponse(504, 'GatewayTimeout', JSON.stringify({ Message: inner, ExceptionMessage: '' }));
    expect(error).toMatchObject({ errorCode: 'GatewayTimeout', code: 504101, message: 'Timed out waiting for the response from device.', trackingId: 't2' });
  });

  it('reads the merged method body hubemu sends (both envelopes)', () => {
    const body = JSON.stringify({ errorCode: 404103, trackingId: 'abc', message: 'Timed out waiting for device to subscribe.', info: {}, timestampUtc: 'x', Message: 'ErrorCode:DeviceNotOnline;Timed out waiting for device to subscribe.', ExceptionMessage: 'Tracking ID:abc-G:0-TimeStamp:01/01/2024 00:00:00' });
    expect(serviceErrorFromResponse(404, 'DeviceNotOnline', body)).toMatchObject({ errorCode: 'DeviceNotOnline', code: 404103, message: 'Timed out waiting for device to subscribe.', trackingId: 'abc' });
  });

  it('has no numeric code for an error name that is an Object member (constructor, __proto__)', () => {
    for (const name of ['constructor', '__proto__', 'toString']) expect(serviceErrorFromResponse(400, name, '').code).toBeUndefined();
  });

  it('maps the service name of a refused query (BadRequest) and keeps a body it cannot read', () => {
    expect(serviceErrorFromResponse(400, 'BadRequest', '{"Message":"ErrorCode:BadRequest;bad query"}')).toMatchObject({ errorCode: 'BadRequest', message: 'bad query' });
    const opaque = serviceErrorFromResponse(502, undefined, '<html>bad gateway</html>');
    expect(opaque).toMatchObject({ status: 502, errorCode: 'Unknown', message: '<html>bad gateway</html>', code: undefined });
    expect(serviceErrorFromResponse(500, undefined, '')).toMatchObject({ message: 'HTTP 500' });
  });
});
