// Fleet benchmark: `hubemu fleet run --scenario telemetry-config` with N devices against a hub the command
// starts in its own process, then the same rollout's exchange with the same devices against the bare-aedes
// floor (bench/lib/rollout-floor.mjs). Reports every device converged, connect and convergence percentiles,
// the rollout's message rate as a ratio to the floor's, and the hub's CPU and memory.
// Smoke: 200 devices (what CI runs); full: 10,000 and 18,000.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { floorRollout } from './lib/rollout-floor.mjs';
import { round } from './lib/stats.mjs';

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const CONNECT_RATE = 500;

/** `hubemu fleet run --scenario telemetry-config` with `devices` devices (and `extra` flags); resolves with its JSON report. */
export function fleetRun(devices, extra = []) {
  const args = [BIN, 'fleet', 'run', '--devices', String(devices), '--scenario', 'telemetry-config', '--output', 'json', '--no-progress', '--connect-rate', String(CONNECT_RATE), ...extra];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 2 ** 20, timeout: 3_600_000 }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`fleet run with ${devices} devices printed no report (${error?.message ?? ''}): ${stderr.slice(-2000)}`));
      }
    });
  });
}

const int = (n) => (n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en'));

/** The rows of one run; `floor` is the same rollout on bare aedes, or undefined where it cannot run (more sockets than one process may hold). */
export function rows(report, floor, seconds, label = `${report.devices.planned} devices`) {
  const n = label;
  const d = report.devices;
  const c = report.connect.latencyMs;
  const v = report.convergence.latencyMs;
  const t = report.convergence.timeToPercentMs;
  const tls = report.run.tlsSessionResumption;
  const hub = report.messages.rollout;
  const base = floor?.rollout;
  const errors = report.errors.map((e) => `${e.count} ${e.reason}`).join(', ') || 'no errors';
  return [
    { name: `${n}: connected / converged / failed`, value: `${d.connected} / ${d.converged} / ${d.failed}`, unit: 'devices', note: `${errors}; ${int(tls.resumed)} of ${int(tls.connections)} connections resumed a TLS session; ${round(seconds, 0)} s for the whole command` },
    { name: `${n}: connect rate`, value: report.connect.ratePerSecond, unit: 'conn/s', note: `limit ${CONNECT_RATE}/s; latency p50 ${int(c.p50)} / p95 ${int(c.p95)} / p99 ${int(c.p99)} / max ${int(c.max)} ms` },
    { name: `${n}: convergence p50 / p95 / p99 / max`, value: `${int(v.p50)} / ${int(v.p95)} / ${int(v.p99)} / ${int(v.max)}`, unit: 'ms', note: `converged by: 50 % ${int(t['50'])}, 90 % ${int(t['90'])}, 99 % ${int(t['99'])}, 100 % ${int(t['100'])} ms; ${floor ? `floor: 100 % after ${int(floor.convergence.timeToPercentMs['100'])} ms (${floor.devices.converged} of ${floor.devices.planned} converged)` : 'no floor at this size: one aedes process cannot hold the sockets'}` },
    {
      name: `${n}: rollout message rate`,
      value: hub?.perSecond ?? null,
      unit: 'msg/s',
      floor: base?.perSecond ?? null,
      ratio: hub && base ? round(hub.perSecond / base.perSecond) : null,
      note: `${base ? 'target >= 0.5; ' : ''}hub ${int(hub ? hub.deviceToHub + hub.hubToDevice : null)} messages in ${int(hub?.windowMs)} ms${base ? `, floor ${int(base.deviceToHub + base.hubToDevice)} in ${int(base.windowMs)} ms` : '; no floor at this size'}`,
    },
    { name: `${n}: hub CPU and memory`, value: report.hub ? report.hub.cpu.meanPercent : null, unit: '% CPU (mean)', note: report.hub ? `max ${report.hub.cpu.maxPercent} %; RSS max ${int(report.hub.memory.maxRssMb)} MB, ${report.hub.memory.perConnectedDeviceKb ?? '-'} KB per connected device` : '' },
  ];
}

export async function run({ smoke }) {
  const sizes = smoke ? [200] : [10_000, 18_000];
  const all = [];
  for (const size of sizes) {
    const started = performance.now();
    const report = await fleetRun(size);
    const seconds = (performance.now() - started) / 1000;
    const floor = await floorRollout({ devices: size, connectRate: CONNECT_RATE });
    all.push(...rows(report, floor, seconds));
  }
  return {
    title: 'Fleet: telemetry-config rollout (hubemu fleet run, one hub process)',
    intro:
      `Each size runs \`npx hubemu fleet run --devices N --scenario telemetry-config --connect-rate ${CONNECT_RATE}\` (the command starts its own in-memory hub in a child process), then the floor: the same devices doing the same rollout exchange with a bare aedes broker (see "How to read" below). ` +
      'Convergence is timed per device from the hub\'s creation of the configuration to the hub\'s answer to the device\'s Success report.',
    rows: all,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
