// Fleet benchmark: `hubemu fleet run --scenario telemetry-config` with N devices against a hub the command
// starts in its own process. Reports connect and convergence percentiles and the rollout's message rate.
// Smoke: 200 devices (what CI runs); full: 10,000 and 18,000.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { round } from './lib/stats.mjs';

const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));

function fleetRun(devices) {
  const args = [BIN, 'fleet', 'run', '--devices', String(devices), '--scenario', 'telemetry-config', '--output', 'json', '--no-progress', '--connect-rate', '500'];
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

function rows(report) {
  const n = report.devices.planned;
  const c = report.connect.latencyMs;
  const v = report.convergence.latencyMs;
  const t = report.convergence.timeToPercentMs;
  // Messages each way while the rollout ran: from the configuration's creation to the last device's Success.
  const rollout = report.timeline.filter((s) => report.convergence.startedAt !== null && s.t * 1000 >= report.convergence.startedAt - Date.parse(report.run.startedAt));
  const rolloutRate = rollout.length === 0 ? null : Math.max(...rollout.map((s) => s.sentPerSecond + s.receivedPerSecond));
  return [
    { name: `${n} devices: converged`, value: report.devices.converged, unit: 'devices', note: `${report.devices.failed} failed; errors: ${report.errors.map((e) => `${e.count} ${e.reason}`).join(', ') || 'none'}` },
    { name: `${n} devices: connect rate`, value: report.connect.ratePerSecond, unit: 'conn/s', note: `latency p50 ${round(c.p50)} / p95 ${round(c.p95)} / p99 ${round(c.p99)} / max ${round(c.max)} ms` },
    { name: `${n} devices: convergence p50 / p95 / p99 / max`, value: `${round(v.p50, 0)} / ${round(v.p95, 0)} / ${round(v.p99, 0)} / ${round(v.max, 0)}`, unit: 'ms', note: `100 % converged after ${t['100'] === null ? '-' : round(t['100'], 0)} ms` },
    { name: `${n} devices: peak message rate during the rollout`, value: rolloutRate, unit: 'msg/s', note: 'both ways; the ratio to the bare-aedes floor is not measured yet' },
    { name: `${n} devices: hub CPU and memory`, value: report.hub ? report.hub.cpu.meanPercent : null, unit: '% CPU (mean)', note: report.hub ? `RSS max ${report.hub.memory.maxRssMb} MB, ${report.hub.memory.perConnectedDeviceKb ?? '-'} KB per connected device` : '' },
  ];
}

export async function run({ smoke }) {
  const sizes = smoke ? [200] : [10_000, 18_000];
  const all = [];
  for (const size of sizes) all.push(...rows(await fleetRun(size)));
  return { title: 'Fleet: telemetry-config rollout (hubemu fleet run)', rows: all };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
