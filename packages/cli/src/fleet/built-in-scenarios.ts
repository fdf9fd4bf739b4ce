import type { ScenarioInput } from './scenario.js';

/** The firmware the `firmware-update` scenario rolls out, ring by ring. */
const FIRMWARE_2 = { 'properties.desired.firmware': { version: '2.0.0', fwPackageURI: 'https://firmware.example/2.0.0.bin', fwPackageCheckValue: 'sha256-demo' } };

/**
 * The built-in scenarios, named after the device management patterns. Each is a scenario file's content,
 * so `--scenario NAME` and `--scenario FILE` run through the same code.
 */
export const BUILT_IN_SCENARIOS: Readonly<Record<string, ScenarioInput>> = {
  'telemetry-config': {
    name: 'telemetry-config',
    description: "Microsoft's desired-configuration tutorial rolled out by an automatic device configuration: every device reports Pending, then Success.",
    devices: [{ model: 'sensor', count: 100, telemetryIntervalMs: null }],
    convergence: { reported: 'telemetryConfig', matches: { configId: 'fleet-telemetry-5m', status: 'Success' }, failsWhen: { status: 'Failed' } },
    steps: [
      { createConfiguration: { id: 'fleet-telemetry-config', targetCondition: '*', priority: 10, content: { 'properties.desired.telemetryConfig': { configId: 'fleet-telemetry-5m', sendFrequency: '5m' } } } },
      { waitFor: { converged: 1 } },
    ],
  },
  'firmware-update': {
    name: 'firmware-update',
    description: 'A firmware rollout by configurations in stages (a 10 % canary ring, then everyone), with progress in reported firmware.fwUpdateStatus.',
    devices: [{ model: 'thermostat', count: 100, telemetryIntervalMs: null }],
    convergence: { reported: 'firmware', matches: { currentFwVersion: '2.0.0', fwUpdateStatus: 'current' }, failsWhen: { fwUpdateStatus: 'error' } },
    steps: [
      { tag: { share: 0.1, tags: { ring: 'canary' } } },
      { createConfiguration: { id: 'fleet-firmware-canary', targetCondition: "tags.ring = 'canary'", priority: 20, content: FIRMWARE_2 } },
      { waitFor: { converged: 0.1 } },
      { createConfiguration: { id: 'fleet-firmware-all', targetCondition: '*', priority: 10, content: FIRMWARE_2 } },
      { waitFor: { converged: 1 } },
    ],
  },
  reboot: {
    name: 'reboot',
    description: "The device management tutorial's reboot, started on every device by a direct-method job; a device converges when it reports rebooted.",
    devices: [{ model: 'thermostat', count: 100, telemetryIntervalMs: null }],
    convergence: { reported: 'iothubDM.reboot', matches: { rebootStatus: 'rebooted' } },
    steps: [{ startJob: { id: 'fleet-reboot', queryCondition: '*', method: { name: 'reboot' } } }, { waitFor: { converged: 1 } }],
  },
  'twin-update-job': {
    name: 'twin-update-job',
    description: 'The desired-configuration tutorial rolled out by a twin update job instead of a configuration.',
    devices: [{ model: 'sensor', count: 100, telemetryIntervalMs: null }],
    convergence: { reported: 'telemetryConfig', matches: { configId: 'fleet-job-10m', status: 'Success' }, failsWhen: { status: 'Failed' } },
    steps: [
      { startJob: { id: 'fleet-twin-update', queryCondition: '*', twinPatch: { properties: { desired: { telemetryConfig: { configId: 'fleet-job-10m', sendFrequency: '10m' } } } } } },
      { waitFor: { converged: 1 } },
    ],
  },
  'connect-storm': {
    name: 'connect-storm',
    description: 'Everyone connects, then everyone drops and reconnects at once; a device converges when it is connected again.',
    devices: [{ model: 'plain', count: 100 }],
    convergence: { reconnected: true },
    steps: [{ disconnect: { share: 1, downtimeMs: 0 } }, { waitFor: { converged: 1 } }],
  },
  soak: {
    name: 'soak',
    description: 'Telemetry every second for --duration, with a tenth of the devices dropping offline now and then and coming back.',
    devices: [{ model: 'sensor', count: 100, telemetryIntervalMs: 1_000, offline: { share: 0.1, everyMs: { uniform: [2_000, 6_000] }, forMs: { uniform: [500, 1_500] } } }],
    steps: [{ pause: { untilDuration: true } }],
  },
};

export const BUILT_IN_NAMES = Object.keys(BUILT_IN_SCENARIOS);
