import { Command, CommanderError } from 'commander';
import { registerC2dMessage } from './commands/c2d-message.js';
import { registerConfiguration } from './commands/configuration.js';
import { registerDeviceIdentity } from './commands/device-identity.js';
import { registerDeviceTwin } from './commands/device-twin.js';
import { clockCommand } from './commands/emulator-clock.js';
import { faultCommand } from './commands/emulator-fault.js';
import { registerEmulator } from './commands/emulator.js';
import { registerFleet } from './commands/fleet.js';
import { registerConsumerGroup } from './commands/hub-consumer-group.js';
import { registerHub } from './commands/hub-connection-string.js';
import { registerInvokeDeviceMethod } from './commands/invoke-device-method.js';
import { registerJob } from './commands/job.js';
import { registerMonitorEvents } from './commands/monitor-events.js';
import { registerQuery } from './commands/query.js';
import { registerStart } from './commands/start.js';

/** `hubemu`: the command line, named after `az iot hub`. */
export function createProgram(): Command {
  const program = new Command('hubemu')
    .description('An offline emulator of Azure IoT Hub device management: twins, queries, direct methods, jobs and configurations.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerDeviceIdentity(program);
  registerDeviceTwin(program);
  registerInvokeDeviceMethod(program);
  registerQuery(program);
  registerJob(program);
  registerConfiguration(program);
  registerConsumerGroup(registerHub(program));
  registerMonitorEvents(program);
  registerC2dMessage(program);
  registerFleet(program);
  registerEmulator(program, (emulator) => emulator.addCommand(faultCommand()), (emulator) => emulator.addCommand(clockCommand()));
  return program;
}

async function main(): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`hubemu: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
