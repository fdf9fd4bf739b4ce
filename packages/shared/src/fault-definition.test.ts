import { describe, expect, it } from 'vitest';
import { HubError } from './errors.js';
import { parseFaultDefinition } from './fault-definition.js';

const refusal = (value: unknown): string => {
  try {
    parseFaultDefinition(value);
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    return `${(error as HubError).errorCode}: ${(error as HubError).message}`;
  }
  throw new Error('accepted');
};

describe('fault definitions', () => {
  it('accept a failing twin GET for a device pattern, the next N times', () => {
    expect(parseFaultDefinition({ operation: 'twin.get', device: 'dev-*', count: 2, action: 'fail', status: 429 })).toEqual({
      operation: 'twin.get',
      device: 'dev-*',
      count: 2,
      action: 'fail',
      status: 429,
    });
  });

  it('refuse an action that does not apply to the operation, naming the ones that do', () => {
    expect(refusal({ operation: 'twin.desired', action: 'fail', status: 500 })).toBe(
      "ArgumentInvalid: Invalid fault: action: 'fail' does not apply to 'twin.desired' (use delay, drop, disconnect, pause).",
    );
  });

  it('refuse a fail without a status or code, a status no IoT Hub error has, and a code that contradicts its status', () => {
    expect(refusal({ operation: 'twin.get', action: 'fail' })).toContain("status: a 'fail' fault needs a status or an errorCode");
    expect(refusal({ operation: 'twin.get', action: 'fail', status: 418 })).toContain('no IoT Hub error has status 418');
    expect(refusal({ operation: 'twin.get', action: 'fail', status: 500, errorCode: 'ThrottlingException' })).toContain('ThrottlingException is status 429, not 500');
  });

  it('refuse unknown fields, a delay without delayMs, a share above 1 and an absent body', () => {
    expect(refusal({ operation: 'twin.get', action: 'drop', bogus: 1 })).toContain('Unrecognized key');
    expect(refusal({ operation: 'twin.get', action: 'delay' })).toContain('delayMs');
    expect(refusal({ operation: 'twin.get', action: 'drop', share: 1.5 })).toContain('share');
    expect(refusal(undefined)).toBe('ArgumentNull: The fault body is required.');
  });
});
