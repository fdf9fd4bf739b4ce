import { parse as parseQueryString } from 'node:querystring';
import { parse as parseUrl } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  brokerSafeC2dFilter,
  c2dTopic,
  classifySubscription,
  isC2dTopicOf,
  parseC2dTopic,
  DESIRED_PATCH_FILTER,
  encodePropertyBag,
  mayDevicePublish,
  METHOD_REQUEST_FILTER,
  parseDeviceTopic,
  parseHubTopic,
  parsePropertyBag,
  splitTelemetryProperties,
  topics,
  TWIN_RESPONSE_FILTER,
} from './topics.js';

const NODE_RID = '0b2f5f2e-0e4c-4f5a-9a34-6a1c2c3d4e5f';

describe('subscription filters', () => {
  it('are the documented $iothub filters', () => {
    expect(TWIN_RESPONSE_FILTER).toBe('$iothub/twin/res/#');
    expect(DESIRED_PATCH_FILTER).toBe('$iothub/twin/PATCH/properties/desired/#');
    expect(METHOD_REQUEST_FILTER).toBe('$iothub/methods/POST/#');
    expect(topics.c2dFilter('d1')).toBe('devices/d1/messages/devicebound/#');
  });
});

describe('twin GET', () => {
  it('is built as $iothub/twin/GET/?$rid={rid}', () => {
    expect(topics.twinGet(NODE_RID)).toBe(`$iothub/twin/GET/?$rid=${NODE_RID}`);
    expect(topics.twinGet('3')).toBe('$iothub/twin/GET/?$rid=3');
  });

  it('parses a UUID $rid as the Node SDK sends it and a small integer as the C SDK sends it', () => {
    expect(parseDeviceTopic(`$iothub/twin/GET/?$rid=${NODE_RID}`)).toEqual({ kind: 'twinGet', rid: NODE_RID });
    expect(parseDeviceTopic('$iothub/twin/GET/?$rid=3')).toEqual({ kind: 'twinGet', rid: '3' });
  });

  it('round-trips a $rid holding characters that need URL-encoding', () => {
    const rid = 'a&b=c d/é';
    expect(parseDeviceTopic(topics.twinGet(rid))).toEqual({ kind: 'twinGet', rid });
  });

  it('is invalid without a $rid, with an empty $rid or with a bare $rid, and the reason says so', () => {
    for (const topic of ['$iothub/twin/GET/', '$iothub/twin/GET/?$rid=', '$iothub/twin/GET/?$rid', '$iothub/twin/GET/?other=1']) {
      const parsed = parseDeviceTopic(topic);
      expect(parsed.kind).toBe('invalid');
      expect(parsed.kind === 'invalid' && parsed.reason).toContain('$rid');
    }
  });

  it('is invalid with extra path segments', () => {
    const parsed = parseDeviceTopic('$iothub/twin/GET/extra/?$rid=1');
    expect(parsed).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('Malformed') });
  });
});

describe('reported PATCH', () => {
  it('is built with and without &$version=', () => {
    expect(topics.twinPatchReported('4')).toBe('$iothub/twin/PATCH/properties/reported/?$rid=4');
    expect(topics.twinPatchReported('4', 12)).toBe('$iothub/twin/PATCH/properties/reported/?$rid=4&$version=12');
  });

  it('parses the Node form without a version', () => {
    expect(parseDeviceTopic(`$iothub/twin/PATCH/properties/reported/?$rid=${NODE_RID}`)).toEqual({
      kind: 'twinPatchReported',
      rid: NODE_RID,
    });
  });

  it('parses the Java form with &$version=, in either parameter order', () => {
    expect(parseDeviceTopic('$iothub/twin/PATCH/properties/reported/?$rid=4&$version=12')).toEqual({
      kind: 'twinPatchReported',
      rid: '4',
      version: 12,
    });
    expect(parseDeviceTopic('$iothub/twin/PATCH/properties/reported/?$version=12&$rid=4')).toEqual({
      kind: 'twinPatchReported',
      rid: '4',
      version: 12,
    });
  });

  it('round-trips through the builder', () => {
    expect(parseDeviceTopic(topics.twinPatchReported('r-1'))).toEqual({ kind: 'twinPatchReported', rid: 'r-1' });
    expect(parseDeviceTopic(topics.twinPatchReported('r-1', 0))).toEqual({ kind: 'twinPatchReported', rid: 'r-1', version: 0 });
  });

  it('is invalid when $version is not an integer, and keeps the $rid for the error reply', () => {
    for (const version of ['abc', '1.5', '', '1e3']) {
      const parsed = parseDeviceTopic(`$iothub/twin/PATCH/properties/reported/?$rid=7&$version=${version}`);
      expect(parsed).toEqual({ kind: 'invalid', reason: 'The $version parameter must be an integer.', rid: '7' });
    }
  });

  it('is invalid without a $rid', () => {
    expect(parseDeviceTopic('$iothub/twin/PATCH/properties/reported/').kind).toBe('invalid');
    expect(parseDeviceTopic('$iothub/twin/PATCH/properties/reported/?$version=3').kind).toBe('invalid');
  });
});

describe('twin responses', () => {
  it('are built as $iothub/twin/res/{status}/?$rid={rid}, with &$version= after a reported PATCH', () => {
    expect(topics.twinResponse(200, '3')).toBe('$iothub/twin/res/200/?$rid=3');
    expect(topics.twinResponse(204, '4', 13)).toBe('$iothub/twin/res/204/?$rid=4&$version=13');
  });

  it('round-trips through parseHubTopic', () => {
    expect(parseHubTopic(topics.twinResponse(200, NODE_RID))).toEqual({ kind: 'twinResponse', status: 200, rid: NODE_RID });
    expect(parseHubTopic(topics.twinResponse(204, '4', 13))).toEqual({ kind: 'twinResponse', status: 204, rid: '4', version: 13 });
    expect(parseHubTopic(topics.twinResponse(400, '5'))).toEqual({ kind: 'twinResponse', status: 400, rid: '5' });
  });

  it('are read back by the Node device SDK\'s own parsing (url.parse + querystring.parse on the topic)', () => {
    const rid = 'rid with & and =';
    const url = parseUrl(topics.twinResponse(204, rid, 13));
    const path = (url.path ?? '').split('/');
    const query = parseQueryString(url.query ?? '');
    expect(path.slice(0, 4)).toEqual(['$iothub', 'twin', 'res', '204']);
    expect(query.$rid).toBe(rid);
    expect(query.$version).toBe('13');
  });

  it('are not recognised when the status is not an integer or the $rid is missing', () => {
    expect(parseHubTopic('$iothub/twin/res/abc/?$rid=1')).toBeUndefined();
    expect(parseHubTopic('$iothub/twin/res/200/')).toBeUndefined();
  });
});

describe('desired notifications', () => {
  it('are built as $iothub/twin/PATCH/properties/desired/?$version={n} and round-trip', () => {
    expect(topics.desiredPatch(8)).toBe('$iothub/twin/PATCH/properties/desired/?$version=8');
    expect(parseHubTopic(topics.desiredPatch(8))).toEqual({ kind: 'desiredPatch', version: 8 });
  });

  it('are not recognised without an integer $version', () => {
    expect(parseHubTopic('$iothub/twin/PATCH/properties/desired/')).toBeUndefined();
    expect(parseHubTopic('$iothub/twin/PATCH/properties/desired/?$version=x')).toBeUndefined();
  });

  it('are not something a device may publish', () => {
    expect(parseDeviceTopic('$iothub/twin/PATCH/properties/desired/?$version=8')).toEqual({ kind: 'unknown' });
  });
});

describe('direct methods', () => {
  it('builds a method request as $iothub/methods/POST/{name}/?$rid={rid} and round-trips it', () => {
    expect(topics.methodRequest('reboot', '1')).toBe('$iothub/methods/POST/reboot/?$rid=1');
    expect(parseHubTopic(topics.methodRequest('reboot', NODE_RID))).toEqual({ kind: 'methodRequest', methodName: 'reboot', rid: NODE_RID });
  });

  it('does not recognise a method request without a name or a $rid', () => {
    expect(parseHubTopic('$iothub/methods/POST//?$rid=1')).toBeUndefined();
    expect(parseHubTopic('$iothub/methods/POST/reboot/')).toBeUndefined();
  });

  it('builds a method response as $iothub/methods/res/{status}/?$rid={rid} and round-trips it', () => {
    expect(topics.methodResponse(200, '1')).toBe('$iothub/methods/res/200/?$rid=1');
    expect(parseDeviceTopic(topics.methodResponse(200, NODE_RID))).toEqual({ kind: 'methodResponse', rid: NODE_RID, status: 200 });
    expect(parseDeviceTopic(topics.methodResponse(500, '9'))).toEqual({ kind: 'methodResponse', rid: '9', status: 500 });
  });

  it('requires the method response status to be an integer', () => {
    for (const status of ['abc', '2.5', '', '200x']) {
      const parsed = parseDeviceTopic(`$iothub/methods/res/${status}/?$rid=1`);
      expect(parsed.kind).toBe('invalid');
      expect(parsed.kind === 'invalid' && parsed.reason).toContain('{status}');
    }
  });

  it('requires a $rid on a method response', () => {
    expect(parseDeviceTopic('$iothub/methods/res/200/').kind).toBe('invalid');
  });
});

describe('telemetry', () => {
  it('builds device and module telemetry topics with an empty property bag', () => {
    expect(topics.telemetry('d1')).toBe('devices/d1/messages/events/');
    expect(topics.telemetry('d1', {}, 'm1')).toBe('devices/d1/modules/m1/messages/events/');
  });

  it('parses device telemetry with and without a trailing slash', () => {
    expect(parseDeviceTopic('devices/d1/messages/events/')).toEqual({ kind: 'telemetry', deviceId: 'd1', properties: {} });
    expect(parseDeviceTopic('devices/d1/messages/events')).toEqual({ kind: 'telemetry', deviceId: 'd1', properties: {} });
  });

  it('parses module telemetry', () => {
    expect(parseDeviceTopic('devices/d1/modules/m1/messages/events/')).toEqual({
      kind: 'telemetry',
      deviceId: 'd1',
      moduleId: 'm1',
      properties: {},
    });
  });

  it('parses the system and application properties of a URL-encoded property bag', () => {
    expect(parseDeviceTopic('devices/d1/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&$.mid=m-1&alert=high%20temp')).toEqual({
      kind: 'telemetry',
      deviceId: 'd1',
      properties: { '$.ct': 'application/json', '$.ce': 'utf-8', '$.mid': 'm-1', alert: 'high temp' },
    });
  });

  it('round-trips a property bag with null, empty and encoded values', () => {
    const properties = { '$.ct': 'application/json', 'a b': 'c&d=e', flag: null, empty: '', unicode: 'é✓' };
    expect(parseDeviceTopic(topics.telemetry('d1', properties))).toEqual({ kind: 'telemetry', deviceId: 'd1', properties });
    expect(parseDeviceTopic(topics.telemetry('d1', properties, 'm1'))).toEqual({ kind: 'telemetry', deviceId: 'd1', moduleId: 'm1', properties });
  });

  it('is invalid when the property bag is not valid URL-encoding', () => {
    expect(parseDeviceTopic('devices/d1/messages/events/a=%ZZ')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('URL-encoded') });
  });
});

describe('property bags', () => {
  it('encode a null value as a bare key and an empty string as key=', () => {
    expect(encodePropertyBag({ flag: null, empty: '' })).toBe('flag&empty=');
  });

  it('URL-encode keys and values', () => {
    expect(encodePropertyBag({ '$.ct': 'application/json', 'a b': 'c&d=e' })).toBe('%24.ct=application%2Fjson&a%20b=c%26d%3De');
  });

  it('decode bare keys to null and key= to the empty string', () => {
    expect(parsePropertyBag('a=1&flag&empty=')).toEqual({ a: '1', flag: null, empty: '' });
  });

  it('keep everything after the first = as the value', () => {
    expect(parsePropertyBag('k=a=b')).toEqual({ k: 'a=b' });
  });

  it('decode an empty bag and skip empty parts', () => {
    expect(parsePropertyBag('')).toEqual({});
    expect(parsePropertyBag('a=1&&b=2&')).toEqual({ a: '1', b: '2' });
  });

  it('keep __proto__, constructor and prototype as ordinary property names, never as the prototype', () => {
    const bag = parsePropertyBag('__proto__=x&constructor=y&prototype');
    expect(JSON.stringify(bag)).toBe('{"__proto__":"x","constructor":"y","prototype":null}');
    expect(Object.getPrototypeOf(bag)).toBe(Object.prototype);
    const split = splitTelemetryProperties(parsePropertyBag('__proto__=a&%24.__proto__=b') ?? {});
    expect(JSON.stringify(split)).toBe('{"properties":{"__proto__":"a"},"systemProperties":{"$.__proto__":"b"}}');
  });

  it('decode + in a value as a space', () => {
    expect(parsePropertyBag('a=x+y')).toEqual({ a: 'x y' });
  });

  it('are undefined when a part is not valid URL-encoding', () => {
    expect(parsePropertyBag('a=%E0%A4%A')).toBeUndefined();
    expect(parsePropertyBag('%ZZ')).toBeUndefined();
  });
});

describe('unknown and malformed device topics', () => {
  it('report unknown for topics outside the grammar', () => {
    for (const topic of ['foo/bar', '$iothub/twin/DELETE/?$rid=1', '$iothub/twin/GET?$rid=1', 'devices/d1/messages/devicebound/', '$iothub/methods/POST/reboot/?$rid=1']) {
      expect(parseDeviceTopic(topic)).toEqual({ kind: 'unknown' });
    }
  });

  it('report invalid with a reason when a $rid is not valid URL-encoding', () => {
    const parsed = parseDeviceTopic('$iothub/twin/GET/?$rid=%E0%A4%A');
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.reason.length).toBeGreaterThan(0);
  });
});

describe('classifySubscription', () => {
  it('accepts the documented $iothub filters for devices and modules', () => {
    for (const moduleId of [undefined, 'm1']) {
      expect(classifySubscription('$iothub/twin/res/#', 'd1', moduleId)).toBe('twinResponses');
      expect(classifySubscription('$iothub/twin/PATCH/properties/desired/#', 'd1', moduleId)).toBe('desiredPatches');
      expect(classifySubscription('$iothub/methods/POST/#', 'd1', moduleId)).toBe('methodRequests');
    }
  });

  it('accepts the device\'s own cloud-to-device filter', () => {
    expect(classifySubscription('devices/d1/messages/devicebound/#', 'd1')).toBe('cloudToDevice');
    expect(classifySubscription(topics.c2dFilter('d1'), 'd1')).toBe('cloudToDevice');
  });

  it('accepts a module\'s own receive filters, the documented one and the IoT Edge inputs one', () => {
    expect(classifySubscription('devices/d1/modules/m1/#', 'd1', 'm1')).toBe('moduleInputs');
    expect(classifySubscription('devices/d1/modules/m1/inputs/#', 'd1', 'm1')).toBe('moduleInputs');
  });

  it("refuses another device's topics", () => {
    expect(classifySubscription('devices/d2/messages/devicebound/#', 'd1')).toBeUndefined();
    expect(classifySubscription('devices/D1/messages/devicebound/#', 'd1')).toBeUndefined();
    expect(classifySubscription('devices/d1/modules/m2/#', 'd1', 'm1')).toBeUndefined();
    expect(classifySubscription('devices/d2/modules/m1/#', 'd1', 'm1')).toBeUndefined();
  });

  it('refuses module filters for a device identity and the device C2D filter for a module identity', () => {
    expect(classifySubscription('devices/d1/modules/m1/#', 'd1')).toBeUndefined();
    expect(classifySubscription('devices/d1/messages/devicebound/#', 'd1', 'm1')).toBeUndefined();
  });

  it('refuses wildcards at the wrong level', () => {
    for (const filter of ['#', '+', '$iothub/#', '$iothub/+/res/#', '$iothub/twin/#', 'devices/+/messages/devicebound/#', 'devices/d1/#', 'devices/#']) {
      expect(classifySubscription(filter, 'd1')).toBeUndefined();
    }
  });

  it('refuses unknown topics', () => {
    for (const filter of ['devices/d1/messages/events/', '$iothub/twin/GET/#', 'random/topic', '']) {
      expect(classifySubscription(filter, 'd1')).toBeUndefined();
    }
  });
});

describe('mayDevicePublish', () => {
  it('allows a device its twin requests, method responses and own telemetry, and refuses any topic containing U+0000', () => {
    expect(mayDevicePublish(topics.telemetry('d1', { a: 'b' }), 'd1')).toBe(true);
    expect(mayDevicePublish(topics.twinGet('1'), 'd1')).toBe(true);
    expect(mayDevicePublish(`${topics.telemetry('d1')}\u0000`, 'd1')).toBe(false);
    expect(mayDevicePublish('$iothub/twin/GET/?$rid=\u0000', 'd1')).toBe(false);
    expect(mayDevicePublish('$iothub/methods/res/200/?$rid=1\u0000', 'd1')).toBe(false);
  });
});

describe('C2D topics', () => {
  it('builds the devicebound topic with system keys first, iothub-ack, then app properties, percent-encoded', () => {
    const topic = c2dTopic('pubsub', { messageId: 'm/1', to: '/devices/pubsub/messages/devicebound', contentEncoding: 'utf-8', ack: 'none', properties: { 'a b': 'x=y&z' } });
    expect(topic).toBe('devices/pubsub/messages/devicebound/%24.mid=m%2F1&%24.to=%2Fdevices%2Fpubsub%2Fmessages%2Fdevicebound&%24.ce=utf-8&iothub-ack=none&a%20b=x%3Dy%26z');
    expect(parseC2dTopic(topic)).toEqual({ deviceId: 'pubsub', messageId: 'm/1', to: '/devices/pubsub/messages/devicebound', contentEncoding: 'utf-8', ack: 'none', properties: { 'a b': 'x=y&z' } });
  });

  it('keeps the slash after devicebound when the bag is empty', () => {
    expect(c2dTopic('d1', { properties: {} })).toBe('devices/d1/messages/devicebound/');
  });

  it('escapes + and # of a device id in its C2D filter only, and classifies the escaped filter as that device\'s', () => {
    expect(brokerSafeC2dFilter('devices/a+b/messages/devicebound/#')).toBe('devices/a%2Bb/messages/devicebound/#');
    expect(brokerSafeC2dFilter('devices/a#/messages/devicebound/#')).toBe('devices/a%23/messages/devicebound/#');
    expect(brokerSafeC2dFilter('devices/plain/messages/devicebound/#')).toBe('devices/plain/messages/devicebound/#');
    expect(classifySubscription('devices/a%2Bb/messages/devicebound/#', 'a+b')).toBe('cloudToDevice');
    expect(classifySubscription('devices/a%2Bb/messages/devicebound/#', 'a#')).toBeUndefined();
    expect(isC2dTopicOf('devices/a+b/messages/devicebound/', 'a+b')).toBe(true);
    expect(isC2dTopicOf('devices/a+b/messages/devicebound/', 'a#')).toBe(false);
  });
});
