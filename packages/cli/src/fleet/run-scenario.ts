import { readFileSync } from 'node:fs';
import { ServiceClient } from '@hubemu/backend';
import { parseConnectionString } from '@hubemu/shared';
import type { Transport } from '@hubemu/device-agent';
import { allocateDevices, sliceFleet } from './device-allocation.js';
import { FleetRecorder } from './fleet-recorder.js';
import type { FleetRunReport } from './fleet-run-report.js';
import { startHubProcess, type HubProcess } from './hub-process.js';
import { sampleHub, type HubSampler } from './hub-sampler.js';
import { createIdentities, removeIdentities } from './identities.js';
import { epochNow, type WorkerDevice, type WorkerInit } from './protocol.js';
import { runStep, type StepRecord } from './steps.js';
import type { LoadedScenario } from './scenario-file.js';
import { estimateTiers } from './tier-estimate.js';
import { WorkerPool } from './worker-pool.js';

export interface FleetRunOptions {
  loaded: LoadedScenario;
  /** Devices in all (the scenario's counts scaled to it); default: the scenario's counts. */
  devices: number | undefined;
  /** A running hub's owner connection string; without it the command starts its own hub. */
  hub: string | undefined;
  /** PEM of the CA to trust for a given hub. */
  caPem: string | undefined;
  /** Device port of a given hub (default by transport). */
  devicePort: number | undefined;
  transport: Transport;
  /** Devices offer the TLS session of an earlier connection (mqtts, wss). */
  resumeTlsSession: boolean;
  connectRate: number;
  maxConcurrentConnects: number;
  connectAttempts: number;
  /** How long the run may last after the devices are up (soak runs that long). */
  durationMs: number | undefined;
  seed: number;
  keep: boolean;
  devicesPerProcess: number;
  /** Start a hub of this many processes sharing their state through `redis` (only when `hub` is not given). */
  hubProcesses?: number;
  redis?: string;
  /** Units of each real tier in the report's tier table. */
  tierUnits: number;
  signal: AbortSignal;
  /** Called about every 250 ms with the numbers so far (for the progress bar). */
  onProgress?: (recorder: FleetRecorder, phase: string) => void;
}

const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function portOf(options: FleetRunOptions, hub: HubProcess | undefined): number | undefined {
  if (hub) return options.transport === 'wss' ? hub.ports.https : options.transport === 'mqtt' ? hub.ports.mqttPlain : hub.ports.mqtt;
  return options.devicePort;
}

/**
 * Runs a scenario end to end: starts a hub unless one is given, creates the identities in bulk, connects
 * the fleet from child processes at a bounded rate, carries out the rollout's steps, stops (also on abort),
 * removes the identities unless `keep`, and returns the report built from the devices' and hub's events.
 */
export async function runScenario(options: FleetRunOptions): Promise<FleetRunReport> {
  const { scenario } = options.loaded;
  const startedAt = epochNow();
  const devices: WorkerDevice[] = allocateDevices(scenario, options.devices);
  const recorder = new FleetRecorder(devices.length, startedAt);
  const progress = (phase: string): void => options.onProgress?.(recorder, phase);
  const cluster = options.redis === undefined ? undefined : { processes: options.hubProcesses ?? 1, redis: options.redis, namespace: `fleet-${process.pid}-${startedAt}` };
  const hub = options.hub === undefined ? await startHubProcess({ configurationIntervalMs: scenario.configurationIntervalMs, ...(cluster ? { cluster } : {}) }) : undefined;
  const connectionString = hub?.connectionString ?? (options.hub as string);
  const caPem = hub?.caPem ?? options.caPem;
  // The run stops on Ctrl-C, and when the hub it started dies (nothing more can converge).
  const halt = new AbortController();
  options.signal.addEventListener('abort', () => halt.abort(), { once: true });
  if (options.signal.aborted) halt.abort();
  let hubExited = false;
  hub?.onUnexpectedExit((reason) => {
    hubExited = true;
    recorder.addError(reason, '');
    halt.abort();
  });
  const signal = halt.signal;
  const client = ServiceClient.fromConnectionString(connectionString, caPem === undefined ? {} : { ca: caPem });
  const sampler: HubSampler = sampleHub(hub?.pids, recorder);
  const pool = new WorkerPool(recorder);
  const steps: StepRecord[] = [];
  const identities = { created: 0, createMs: 0, removed: 0, kept: options.keep };
  const created: string[] = [];
  const tag = Math.round(startedAt).toString(36);
  const cleanup: Array<() => Promise<void>> = [];
  let phase = 'identities';
  let sourceAddresses: string[] = [];
  const ticker = setInterval(() => progress(phase), 250);
  try {
    const t0 = epochNow();
    created.push(...(await createIdentities(client, devices, recorder, signal)));
    identities.created = created.length;
    recorder.identityFailures = signal.aborted ? 0 : devices.length - created.length;
    identities.createMs = Math.round(epochNow() - t0);
    phase = 'connecting';
    const hostName = parseConnectionString(connectionString).HostName ?? '';
    const loopback = /^(localhost|127\.)/.test(hostName);
    const made = new Set(created);
    const slices = sliceFleet(devices.filter((d) => made.has(d.id)), options.devicesPerProcess, loopback);
    sourceAddresses = [...new Set(slices.map((s) => s.localAddress ?? 'default'))];
    const port = portOf(options, hub);
    const inits: WorkerInit[] = slices.map((slice, index) => ({
      type: 'init',
      connectionString,
      ca: caPem,
      transport: options.transport,
      port: port ?? 0,
      localAddress: slice.localAddress,
      resumeTlsSession: options.resumeTlsSession,
      models: scenario.devices,
      devices: slice.devices,
      connectRate: options.connectRate / slices.length,
      maxConcurrentConnects: Math.max(1, Math.ceil(options.maxConcurrentConnects / slices.length)),
      connectAttempts: options.connectAttempts,
      seed: options.seed + index,
    }));
    if (port === undefined) for (const init of inits) delete (init as Partial<WorkerInit>).port;
    if (!signal.aborted) pool.start(inits);
    await pool.settled(signal);
    phase = 'rollout';
    const deadline = options.durationMs === undefined ? undefined : epochNow() + options.durationMs;
    const owners = new Map<string, number>();
    slices.forEach((slice, index) => slice.devices.forEach((d) => owners.set(d.id, index)));
    for (const step of scenario.steps) {
      if (signal.aborted) break;
      steps.push(await runStep(step, { scenario, client, pool, recorder, owners, deviceIds: created, tag, deadline, signal, seed: options.seed, cleanup }));
    }
  } finally {
    clearInterval(ticker);
    phase = 'stopping';
    progress(phase);
    // The timeline ends with the fleet still up; the hub's usage is summed up to here.
    await sampler.stop();
    const finals = await pool.stop();
    for (const final of finals) {
      recorder.mergeFailures('device', final.errors);
    }
    if (!options.keep) {
      for (const undo of cleanup) await undo().catch(() => undefined);
      identities.removed = await removeIdentities(client, created);
    }
    client.close();
    await hub?.stop();
  }
  const endedAt = epochNow();
  const counts = recorder.counts();
  const seconds = Math.max(endedAt - startedAt, 1) / 1000;
  const usage = sampler.summary(counts.connected || recorder.firstConnectAt.size);
  const convergence = recorder.convergenceSummary();
  const measuredMs = convergence.timeToPercentMs['100'];
  return {
    scenario: { name: scenario.name, source: options.loaded.source, definition: scenario },
    versions: { hubemu: VERSION, node: process.version },
    run: {
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      durationMs: Math.round(endedAt - startedAt),
      interrupted: options.signal.aborted,
      endedBy: options.signal.aborted ? 'interrupt' : hubExited ? 'hub exit' : 'scenario',
      hub: hub ? 'started' : 'given',
      transport: options.transport,
      seed: options.seed,
      connectRateLimit: options.connectRate,
      processes: pool.size,
      sourceAddresses,
      tlsSessionResumption: { offered: options.resumeTlsSession && options.transport !== 'mqtt', connections: counts.connects, resumed: counts.tlsResumed },
    },
    devices: { planned: devices.length, connected: recorder.firstConnectAt.size, converged: counts.converged, failed: counts.failed },
    identities,
    connect: { ...recorder.connectSummary(), reconnects: recorder.reconnects, lost: recorder.lost },
    convergence: {
      rule: scenario.convergence ?? null,
      startedAt: recorder.rolloutStartedAt ?? null,
      failed: recorder.convergenceFailures,
      ...convergence,
    },
    errors: [
      ...recorder.connectFailures.list().map((f) => ({ ...f, reason: `connect: ${f.reason}` })),
      ...recorder.errors.list(),
      ...recorder.notConverged().list(),
    ].map((e) => ({ ...e, deviceIds: e.deviceIds.filter((id) => id !== '') })),
    messages: {
      deviceToHub: counts.sent,
      hubToDevice: counts.received,
      deviceToHubPerSecond: Math.round((counts.sent / seconds) * 10) / 10,
      hubToDevicePerSecond: Math.round((counts.received / seconds) * 10) / 10,
      rollout: recorder.rolloutMessages(),
    },
    hub: hub && usage ? { pid: hub.pid, ...usage } : null,
    steps,
    tiers: estimateTiers(scenario, devices.length, { units: options.tierUnits, measuredRolloutSeconds: measuredMs === null ? null : measuredMs / 1000 }),
    timeline: recorder.timeline,
    distributions: recorder.distributions(),
  };
}
