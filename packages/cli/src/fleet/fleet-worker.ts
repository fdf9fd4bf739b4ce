// A child process that runs one share of a fleet (worker threads would share the parent's 20,000-file
// limit). It speaks to `hubemu fleet run` over IPC: WorkerInit, then watch/disconnect/stop; it sends
// batches of device events, `settled`, and its final report.
import { createRandom, deriveSeed, startFleet, type Fleet, type FleetGroup } from '@hubemu/device-agent';
import { convergenceOf } from './convergence-watch.js';
import { modelBehaviours, sample } from './model-behaviours.js';
import { epochNow, type DeviceEvent, type ParentMessage, type WorkerInit, type WorkerMessage } from './protocol.js';
import type { Convergence } from './scenario.js';

const BATCH_MS = 200;

function send(message: WorkerMessage): void {
  // The parent may be gone (killed, or quitting on a second Ctrl-C): there is no one to tell.
  if (process.connected) process.send?.(message);
}

function groupsOf(init: WorkerInit): FleetGroup[] {
  const byKey = new Map<string, { model: number; offline: boolean; ids: string[] }>();
  for (const device of init.devices) {
    const key = `${device.model}:${device.offline}`;
    const group = byKey.get(key) ?? { model: device.model, offline: device.offline, ids: [] };
    group.ids.push(device.id);
    byKey.set(key, group);
  }
  return [...byKey.values()].map((group) => {
    const model = init.models[group.model];
    if (!model) throw new Error(`No model ${group.model}.`);
    return { model: model.model, deviceIds: group.ids, behaviours: modelBehaviours(model, group.offline) };
  });
}

function run(init: WorkerInit): void {
  let events: DeviceEvent[] = [];
  let watch: { convergence: Convergence; since: number } | undefined;
  const settledIds = new Set<string>();
  const push = (event: DeviceEvent): void => {
    events.push(event);
  };
  const fleet: Fleet = startFleet({
    connectionString: init.connectionString,
    devices: groupsOf(init),
    client: {
      transport: init.transport,
      port: init.port,
      ...(init.ca === undefined ? {} : { ca: init.ca }),
      ...(init.localAddress === undefined ? {} : { localAddress: init.localAddress }),
      resumeTlsSession: init.resumeTlsSession,
    },
    connectRate: init.connectRate,
    maxConcurrentConnects: init.maxConcurrentConnects,
    connectAttempts: init.connectAttempts,
    seed: init.seed,
    onDeviceEvent: (event) => {
      const at = epochNow();
      push({ ...event, at });
      if (event.kind === 'reconnected' && watch && 'reconnected' in watch.convergence && !settledIds.has(event.deviceId)) {
        settledIds.add(event.deviceId);
        push({ kind: 'converged', deviceId: event.deviceId, at });
      }
    },
    onDeviceReady: (device) => {
      device.onReported((patch) => {
        if (!watch) return;
        const outcome = convergenceOf(watch.convergence, device.reported, patch);
        if (settledIds.has(device.deviceId)) {
          // A device reports the converged state once per rollout; a second time means it applied the change twice.
          if (outcome === 'converged') push({ kind: 'error', deviceId: device.deviceId, at: epochNow(), reason: 'convergence: reported converged again (applied twice)' });
          return;
        }
        if (outcome === 'converged') {
          settledIds.add(device.deviceId);
          push({ kind: 'converged', deviceId: device.deviceId, at: epochNow() });
        } else if (outcome === 'failed') {
          push({ kind: 'convergenceFailed', deviceId: device.deviceId, at: epochNow(), reason: 'reported failure' });
        }
      });
    },
  });
  const flush = (): void => {
    const batch = events;
    events = [];
    const report = fleet.report();
    const { sent, received, connects, tlsResumed } = report.messages;
    send({ type: 'batch', events: batch, sent, received, connected: report.devices.connected, connects, tlsResumed });
  };
  const timer = setInterval(flush, BATCH_MS);
  void fleet.settled.then(() => {
    flush();
    send({ type: 'settled' });
  });
  const random = createRandom(deriveSeed(init.seed, `disconnect:${process.pid}`));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const report = await fleet.stop();
    clearInterval(timer);
    flush();
    send({ type: 'stopped', report });
    process.disconnect?.();
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'watch') {
      watch = { convergence: message.convergence, since: message.since };
      settledIds.clear();
    } else if (message.type === 'disconnect') {
      for (const id of message.deviceIds) {
        const device = fleet.device(id);
        device?.restart({ downtimeMs: sample(message.downtimeMs, random) }).catch(() => undefined);
      }
    } else if (message.type === 'stop') {
      void stop();
    }
  });
  // The parent went away without saying stop: close the devices and leave.
  process.once('disconnect', () => void stop().finally(() => process.exit(0)));
}

// Ctrl-C reaches the whole terminal process group; the parent decides when workers stop.
process.on('SIGINT', () => undefined);
process.once('message', (message: ParentMessage) => {
  if (message.type !== 'init') return;
  try {
    run(message);
  } catch (error) {
    send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
});
