import { describe, expect, it } from 'vitest';
import rhea from 'rhea';
import { eventPositionOf, selectorText } from './event-position-filter.js';

describe('event position selectors (@azure/event-hubs filters)', () => {
  it.each([
    ["amqp.annotation.x-opt-offset > '-1'", { kind: 'earliest' }],
    ["amqp.annotation.x-opt-offset > '@latest'", { kind: 'latest' }],
    ["amqp.annotation.x-opt-offset >= '4096'", { kind: 'offset', value: '4096', inclusive: true }],
    ["amqp.annotation.x-opt-offset > '4096'", { kind: 'offset', value: '4096', inclusive: false }],
    ["amqp.annotation.x-opt-sequence-number > '12'", { kind: 'sequenceNumber', value: 12, inclusive: false }],
    ["amqp.annotation.x-opt-sequence-number >= '0'", { kind: 'sequenceNumber', value: 0, inclusive: true }],
    ["amqp.annotation.x-opt-enqueued-time > '1767225600000'", { kind: 'enqueuedTime', valueMs: 1767225600000, inclusive: false }],
  ])('reads %s', (selector, position) => {
    expect(eventPositionOf(selector)).toEqual(position);
  });

  it('starts at the latest without a filter, as the SDK defaults', () => {
    expect(eventPositionOf(undefined)).toEqual({ kind: 'latest' });
  });

  it.each(["amqp.annotation.x-opt-offset < '5'", "amqp.annotation.x-opt-partition > '1'", "amqp.annotation.x-opt-sequence-number > 'abc'", 'anything'])('refuses %s with ArgumentInvalid', (selector) => {
    expect(() => eventPositionOf(selector)).toThrow(expect.objectContaining({ errorCode: 'ArgumentInvalid' }));
  });

  it('finds the selector text in a source filter map whose value arrives described', () => {
    const described = rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x468c00000004);
    expect(selectorText({ 'apache.org:selector-filter:string': described })).toBe("amqp.annotation.x-opt-offset > '-1'");
    expect(selectorText({ 'apache.org:selector-filter:string': "amqp.annotation.x-opt-offset > '-1'" })).toBe("amqp.annotation.x-opt-offset > '-1'");
    expect(selectorText(undefined)).toBeUndefined();
  });
});
