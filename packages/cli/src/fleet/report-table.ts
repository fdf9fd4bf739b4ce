import type { FleetRunReport } from './fleet-run-report.js';

const ms = (value: number | null): string => (value === null ? '-' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** The summary table printed at the end of a run (`--output table`). */
export function renderSummary(report: FleetRunReport): string {
  const { devices, connect, convergence, messages, hub } = report;
  const rows: Array<[string, string]> = [
    ['Scenario', `${report.scenario.name}${report.run.interrupted ? ' (interrupted)' : ''}`],
    ['Devices', `${devices.planned} planned, ${devices.connected} connected, ${devices.converged} converged, ${devices.failed} failed`],
    ['Connect', `${connect.ratePerSecond}/s; latency p50 ${ms(connect.latencyMs.p50)}, p95 ${ms(connect.latencyMs.p95)}, p99 ${ms(connect.latencyMs.p99)}, max ${ms(connect.latencyMs.max)}`],
    ['TLS', report.run.tlsSessionResumption.offered ? `${report.run.tlsSessionResumption.resumed} of ${report.run.tlsSessionResumption.connections} connections resumed a session` : 'full handshakes (no resumption offered)'],
  ];
  if (convergence.rule) {
    const t = convergence.timeToPercentMs;
    rows.push(
      ['Convergence', `p50 ${ms(convergence.latencyMs.p50)}, p95 ${ms(convergence.latencyMs.p95)}, p99 ${ms(convergence.latencyMs.p99)}, max ${ms(convergence.latencyMs.max)}`],
      ['Converged by', `50 % ${ms(t['50'])}, 90 % ${ms(t['90'])}, 99 % ${ms(t['99'])}, 100 % ${ms(t['100'])}`],
    );
  }
  const rollout = messages.rollout === null ? '' : `; rollout ${messages.rollout.deviceToHub + messages.rollout.hubToDevice} in ${ms(messages.rollout.windowMs)}, ${messages.rollout.perSecond}/s`;
  rows.push(['Messages', `${messages.deviceToHubPerSecond}/s device->hub, ${messages.hubToDevicePerSecond}/s hub->device over the run${rollout}`]);
  if (hub) rows.push(['Hub', `CPU mean ${hub.cpu.meanPercent} %, max ${hub.cpu.maxPercent} %; RSS max ${hub.memory.maxRssMb} MB`]);
  for (const error of report.errors.slice(0, 5)) rows.push(['Error', `${error.count} x ${error.reason} (e.g. ${error.deviceIds.slice(0, 3).join(', ')})`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
