// The floor of a telemetry-config rollout: the same devices, driven by the same simulator machinery as
// `hubemu fleet run` (its device processes, models, connect pacing, TLS resumption and recorder), connect
// over the same TLS to a bare aedes broker (bench/lib/server-process.mjs `floor`) that keeps no state. It
// pushes the configuration's desired patch to every device, 500 at a time, and answers each reported patch
// with a 204 at once, so each device does the rollout's exchange (desired notification in; Pending and
// Success reports out; their answers in) with nothing behind it: no identities, twins, configuration
// pass, validation or events. The rollout's window and message count come from the same recorder.
import { BUILT_IN_SCENARIOS } from '../../packages/cli/dist/fleet/built-in-scenarios.js';
import { allocateDevices, sliceFleet } from '../../packages/cli/dist/fleet/device-allocation.js';
import { FleetRecorder } from '../../packages/cli/dist/fleet/fleet-recorder.js';
import { epochNow } from '../../packages/cli/dist/fleet/protocol.js';
import { ScenarioSchema } from '../../packages/cli/dist/fleet/scenario.js';
import { WorkerPool } from '../../packages/cli/dist/fleet/worker-pool.js';
import { startServer } from './start-server.mjs';

const TIMEOUT_MS = 600_000;

/** Runs the floor rollout with `devices` devices; returns its counts, convergence and rollout messages. */
export async function floorRollout({ devices, connectRate, maxConcurrentConnects = 100, connectAttempts = 5, devicesPerProcess = 5_000, seed = 1 }) {
  const scenario = ScenarioSchema.parse(BUILT_IN_SCENARIOS['telemetry-config']);
  const content = scenario.steps.find((s) => 'createConfiguration' in s).createConfiguration.content;
  const desired = { telemetryConfig: content['properties.desired.telemetryConfig'] };
  const server = await startServer('floor');
  const fleet = allocateDevices(scenario, devices);
  const recorder = new FleetRecorder(fleet.length, epochNow());
  const pool = new WorkerPool(recorder);
  try {
    const slices = sliceFleet(fleet, devicesPerProcess, true);
    pool.start(
      slices.map((slice, index) => ({
        type: 'init',
        // Devices sign tokens with this key; the floor accepts any.
        connectionString: `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${server.key}`,
        ca: server.ca,
        transport: 'mqtts',
        port: server.port,
        localAddress: slice.localAddress,
        resumeTlsSession: true,
        models: scenario.devices,
        devices: slice.devices,
        connectRate: connectRate / slices.length,
        maxConcurrentConnects: Math.max(1, Math.ceil(maxConcurrentConnects / slices.length)),
        connectAttempts,
        seed: seed + index,
      })),
    );
    const signal = new AbortController().signal;
    await pool.settled(signal);
    // What the fleet command does when the rollout starts, then the floor's "configuration pass".
    recorder.markRolloutStart(epochNow());
    pool.broadcast({ type: 'watch', convergence: scenario.convergence, since: recorder.rolloutStartedAt });
    const pushed = await server.request({ type: 'pushDesired', patch: desired }, 'pushed');
    recorder.rolloutStartedAt = pushed.startedAt;
    const deadline = epochNow() + TIMEOUT_MS;
    while (recorder.convergedAt.size + recorder.settledWithoutConverging < fleet.length && epochNow() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await pool.stop();
    server.stop();
  }
  const counts = recorder.counts();
  return {
    devices: { planned: fleet.length, connected: recorder.firstConnectAt.size, converged: counts.converged, failed: counts.failed },
    tlsResumed: counts.tlsResumed,
    convergence: recorder.convergenceSummary(),
    rollout: recorder.rolloutMessages(),
  };
}
