import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FleetRunReport } from './fleet-run-report.js';
import { renderSummary } from './report-table.js';
import { MAX_UNITS } from './tier-estimate.js';

const require = createRequire(import.meta.url);

/** uPlot's bundled script and stylesheet, read from node_modules when the report is written (the page loads nothing). */
function chartLibrary(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const seconds = (value: number | null): string => (value === null ? '-' : `${value.toLocaleString('en')} s`);

function tierUnits(report: FleetRunReport): string {
  const units = Math.max(1, ...report.tiers.map((t) => t.units));
  return units === 1 ? 'one unit' : `${units} units`;
}

function tierTable(report: FleetRunReport): string {
  const rows = report.tiers
    .map(
      (t) =>
        `<tr><td>${t.tier} x ${t.units}</td><td>${seconds(t.identitiesSeconds)}</td><td>${seconds(t.connectSeconds)}</td><td>${seconds(t.rolloutSeconds)}</td><td>${seconds(t.complianceVisibleAfterSeconds)}</td><td><b>${seconds(t.totalSeconds)}</b></td><td>${t.unitsToMatchMeasured ?? `none up to ${MAX_UNITS[t.tier]}`}</td></tr>`,
    )
    .join('');
  const measured = report.convergence.timeToPercentMs['100'];
  return `<table><thead><tr><th>Tier x units</th><th>Create identities</th><th>Connect all</th><th>Rollout</th><th>Configuration metrics after</th><th>Total</th><th>Units for this run's rollout time</th></tr></thead><tbody>${rows}
<tr class="here"><td>hubemu (this run)</td><td>${seconds(report.identities.createMs / 1000)}</td><td>${seconds(Math.round(((report.connect.latencyMs.count / Math.max(report.connect.ratePerSecond, 0.001)) * 10)) / 10)}</td><td>${seconds(measured === null ? null : Math.round(measured / 100) / 10)}</td><td>-</td><td>-</td><td></td></tr></tbody></table>`;
}

function errorTable(report: FleetRunReport): string {
  if (report.errors.length === 0) return '<p>No errors.</p>';
  const rows = report.errors.map((e) => `<tr><td>${escapeHtml(e.reason)}</td><td>${e.count}</td><td>${escapeHtml(e.deviceIds.join(', '))}</td></tr>`).join('');
  return `<table><thead><tr><th>Kind</th><th>Count</th><th>Example devices</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const PAGE_SCRIPT = `
const r = REPORT;
const t = r.timeline.map((s) => s.t);
const width = Math.min(900, document.body.clientWidth - 40);
const line = (label, stroke, extra) => Object.assign({ label, stroke, width: 2 }, extra || {});
function chart(id, title, series, data, axes) {
  const el = document.getElementById(id);
  if (data[0].length === 0) { el.textContent = 'No data.'; return; }
  new uPlot({ title, width, height: 240, scales: { x: { time: false } }, series: [{ label: 's' }, ...series], axes: axes || [{ label: 'seconds since start' }, {}] }, data, el);
}
chart('connections', 'Devices connected', [line('connected', '#1f77b4')], [t, r.timeline.map((s) => s.connected)]);
chart('converged', 'Devices converged and failed', [line('converged', '#2ca02c'), line('failed', '#d62728')], [t, r.timeline.map((s) => s.converged), r.timeline.map((s) => s.failed)]);
chart('messages', 'Messages per second', [line('device -> hub', '#9467bd'), line('hub -> device', '#ff7f0e')], [t, r.timeline.map((s) => s.sentPerSecond), r.timeline.map((s) => s.receivedPerSecond)]);
chart('hub', 'Hub CPU (%) and memory (MB)', [line('CPU %', '#8c564b', { scale: '%' }), line('RSS MB', '#17becf', { scale: 'MB' })],
  [t, r.timeline.map((s) => s.hubCpuPercent), r.timeline.map((s) => s.hubRssMb)],
  [{ label: 'seconds since start' }, { scale: '%', label: 'CPU %' }, { scale: 'MB', side: 1, label: 'MB', grid: { show: false } }]);
const bars = uPlot.paths.bars({ size: [0.6, 40] });
function histogram(id, title, buckets, color) {
  const el = document.getElementById(id);
  if (buckets.length === 0) { el.textContent = 'No data.'; return; }
  const x = buckets.map((_, i) => i);
  new uPlot({ title, width: Math.min(440, width), height: 220,
    scales: { x: { time: false, range: [-0.5, buckets.length - 0.5] } },
    series: [{ label: '<= ms', value: (u, i) => i == null ? '' : buckets[i].le }, { label: 'devices', fill: color, stroke: color, paths: bars, points: { show: false } }],
    axes: [{ label: 'latency, at most (ms)', splits: () => x, values: (u, ticks) => ticks.map((i) => (buckets[i] ? buckets[i].le : '')) }, { label: 'devices' }] },
    [x, buckets.map((b) => b.count)], el);
}
histogram('connect-latency', 'Connect latency', r.distributions.connectMs, 'rgba(31,119,180,0.6)');
histogram('convergence-latency', 'Convergence latency', r.distributions.convergenceMs, 'rgba(44,160,44,0.6)');
`;

/** One self-contained HTML page (no network): the summary, charts over time, latency distributions, errors and the tier table. */
export function renderReportHtml(report: FleetRunReport): string {
  const { js, css } = chartLibrary();
  const title = `hubemu fleet run: ${report.scenario.name}, ${report.devices.planned} devices`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
body { font-family: system-ui, sans-serif; margin: 20px; color: #222; }
pre { background: #f6f6f6; padding: 10px; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; } td:first-child, th:first-child { text-align: left; }
tr.here { background: #eef6ee; } .row { display: flex; flex-wrap: wrap; gap: 20px; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(report.scenario.definition.description ?? '')} Started ${escapeHtml(report.run.startedAt)}, hubemu ${escapeHtml(report.versions.hubemu)}, Node ${escapeHtml(report.versions.node)}, ${escapeHtml(report.run.transport)}.</p>
<pre>${escapeHtml(renderSummary(report))}</pre>
<div id="connections"></div><div id="converged"></div>
<div class="row"><div id="connect-latency"></div><div id="convergence-latency"></div></div>
<div id="messages"></div><div id="hub"></div>
<h2>The same rollout on the real service</h2>
<p>Seconds on ${tierUnits(report)} of each tier (<code>--tier-units</code>; F1 has one) at its documented throttles (identity registry operations, new connections, twin updates by devices and the service, job device operations); a configuration's metrics show compliance on its five-minute cycle. The last column is the fewest units of the tier whose throttles would let the rollout finish as fast as it did here (F1/S1 twin updates stay at 50/s whatever the units).</p>
${tierTable(report)}
<h2>Errors</h2>
${errorTable(report)}
<script>${js}</script>
<script>const REPORT = ${scriptJson(report)};${PAGE_SCRIPT}</script>
</body></html>
`;
}
