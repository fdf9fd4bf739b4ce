import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { HubOptionsSchema, MethodRequestSchema } from '@hubemu/shared';
import { registerInvokeDeviceMethod } from './commands/invoke-device-method.js';
import { registerStart } from './commands/start.js';
import { rangeOf, schemaFlag } from './options.js';

function commandOf(register: (program: Command) => void, name: string): Command {
  const program = new Command('hubemu');
  register(program);
  const command = program.commands.find((c) => c.name() === name);
  if (!command) throw new Error(`no ${name} command`);
  return command;
}

function optionOf(command: Command, long: string): Option {
  const option = command.createHelp().visibleOptions(command).find((o) => o.long === long);
  if (!option) throw new Error(`no ${long} option`);
  return option;
}

describe('flags that take their values from a schema', () => {
  it("default hubemu start's flags to the hub options schema's defaults", () => {
    const start = commandOf(registerStart, 'start');
    const defaults = HubOptionsSchema.parse({});
    const flags = {
      '--host-name': defaults.hostName,
      '--bind': defaults.bindAddress,
      '--mqtt-port': defaults.mqttPort,
      '--https-port': defaults.httpsPort,
      '--data-dir': defaults.dataDir,
      '--configuration-interval': defaults.configurationIntervalMs,
      '--tier-units': defaults.tierUnits,
      '--tls-handshake-timeout': defaults.timeouts.tlsHandshakeMs,
      '--mqtt-connect-timeout': defaults.timeouts.mqttConnectMs,
      '--http-headers-timeout': defaults.timeouts.httpHeadersMs,
      '--http-request-timeout': defaults.timeouts.httpRequestMs,
      '--http-keep-alive-timeout': defaults.timeouts.httpKeepAliveMs,
    };
    for (const [flag, value] of Object.entries(flags)) expect(optionOf(start, flag).defaultValue, flag).toBe(value);
    expect(optionOf(start, '--tier').argChoices).toEqual(HubOptionsSchema.shape.tier.unwrap().options);
  });

  it("refuse what the schema refuses, naming the schema's range, and accept its bounds", () => {
    const interval = schemaFlag('--configuration-interval', HubOptionsSchema.shape.configurationIntervalMs);
    expect(interval('10')).toBe(10);
    expect(interval(String(2 ** 31 - 1))).toBe(2 ** 31 - 1);
    for (const bad of ['9', String(2 ** 31), '1.5', 'soon', '']) expect(() => interval(bad), bad).toThrow('--configuration-interval must be an integer from 10 to 2147483647.');
    const opsPerSecond = HubOptionsSchema.shape.jobs.unwrap().shape.deviceOperationsPerSecond;
    expect(schemaFlag('--job-ops-per-second', opsPerSecond)('0.5')).toBe(0.5);
    expect(() => schemaFlag('--job-ops-per-second', opsPerSecond)('0')).toThrow('--job-ops-per-second must be a number above 0.');
  });

  it('check method timeouts by the method request schema the hub parses with', () => {
    const invoke = commandOf(registerInvokeDeviceMethod, 'invoke-device-method');
    const timeout = optionOf(invoke, '--timeout');
    expect(rangeOf(MethodRequestSchema.shape.responseTimeoutInSeconds)).toBe('an integer from 5 to 300');
    expect(timeout.description).toContain('an integer from 5 to 300');
    expect(() => timeout.parseArg?.('4', undefined)).toThrow('--timeout must be an integer from 5 to 300.');
    expect(() => optionOf(invoke, '--method-connect-timeout').parseArg?.('301', undefined)).toThrow('from 0 to 300');
  });
});
