import { useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { appendBounded } from './bounded.js';
import { ConfigurationForm } from './configuration-form.js';
import { metricNames, metricValues, type Configuration } from './configuration-types.js';
import { ErrorLine } from './errors-view.js';
import { useLatestOnly } from './latest-only.js';
import { usePoll } from './poll.js';
import { configurationHref, devicesWhereHref } from './route.js';
import type { Session } from './session.js';
import { TimeChart, type TimeData } from './time-chart.js';

/** The hub evaluates configurations every 2 s by default; the page samples their metrics as often. */
const SAMPLE_MS = 2000;
/** Samples kept per configuration (30 minutes at one each 2 s); the hub holds at most 100 configurations. */
const MAX_SAMPLES = 900;
const COLORS = ['#64748b', '#2563eb', '#15803d', '#b91c1c', '#d97706', '#7c3aed', '#0891b2'];

interface History {
  names: string;
  data: TimeData;
}

/** Adds one sample of every configuration's metrics; history of deleted ones (or whose metrics changed) is dropped. */
function sampled(history: Map<string, History>, configurations: Configuration[], at: number): Map<string, History> {
  const next = new Map<string, History>();
  for (const configuration of configurations) {
    const names = metricNames(configuration).join('\n');
    const before = history.get(configuration.id);
    const data = before && before.names === names ? before.data : { times: [], columns: metricNames(configuration).map(() => []) };
    const values = metricValues(configuration);
    next.set(configuration.id, {
      names,
      data: { times: appendBounded(data.times, at, MAX_SAMPLES), columns: values.map((value, i) => appendBounded(data.columns[i] ?? [], value, MAX_SAMPLES)) },
    });
  }
  return next;
}

/** Configurations: the list with targeted, applied and custom metric counts sampled live, a compliance chart over time, create and delete. */
export function ConfigurationsPage({ session, configurationId }: { session: Session; configurationId?: string | undefined }) {
  const [configurations, setConfigurations] = useState<Configuration[]>([]);
  const history = useRef(new Map<string, History>());
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const latest = useLatestOnly();
  const load = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const { body } = await api<Configuration[]>(session, 'GET', '/configurations');
      if (!latest.isLatest(ticket)) return;
      history.current = sampled(history.current, body, Date.now() / 1000);
      setConfigurations(body);
      setError(undefined);
    } catch (e) {
      if (latest.isLatest(ticket)) setError(e);
    }
  };
  // The hub emits no event when it re-evaluates a configuration: the page samples while it is open.
  usePoll(() => void load(), SAMPLE_MS, true, []);

  const remove = async (id: string): Promise<void> => {
    if (!confirm(`Delete the configuration ${id}? The desired properties it wrote stay in the twins.`)) return;
    try {
      await api(session, 'DELETE', `/configurations/${encodeURIComponent(id)}`, { headers: { 'If-Match': '*' } });
      setNotice(`Deleted ${id}.`);
      if (id === configurationId) location.hash = '#/configurations';
      await load();
    } catch (e) {
      setError(e);
    }
  };

  const selected = configurations.find((c) => c.id === configurationId);
  const selectedHistory = selected ? history.current.get(selected.id) : undefined;
  const names = selected ? metricNames(selected) : [];
  return (
    <section aria-labelledby="configurations-title">
      <h1 id="configurations-title">Configurations</h1>
      {notice && <p role="status">{notice}</p>}
      <ErrorLine error={error} />
      <div class="columns list-and-form">
        <div>
          <div class="scroll-x">
          <table data-testid="configurations">
            <caption>{configurations.length} configurations, metrics sampled every 2 s while this page is open</caption>
            <thead>
              <tr>
                <th>Configuration</th>
                <th>Priority</th>
                <th>Target condition</th>
                <th>Targeted</th>
                <th>Applied</th>
                <th>Custom metrics</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {configurations.map((c) => (
                <tr key={c.id} data-configuration={c.id} class={c.id === configurationId ? 'selected' : ''}>
                  <td>
                    <a href={configurationHref(c.id)} aria-current={c.id === configurationId ? 'true' : undefined}>
                      {c.id}
                    </a>
                  </td>
                  <td>{c.priority}</td>
                  <td>
                    <a href={devicesWhereHref(c.targetCondition === '*' ? '' : c.targetCondition)} title="The targeted devices">
                      <code>{c.targetCondition}</code>
                    </a>
                  </td>
                  <td data-metric="targeted">{c.systemMetrics.results.targetedCount ?? 0}</td>
                  <td data-metric="applied">{c.systemMetrics.results.appliedCount ?? 0}</td>
                  <td>
                    {Object.keys(c.metrics.queries).map((name) => (
                      <span key={name} class="metric" data-metric={name}>
                        {name} <b>{c.metrics.results[name] ?? 0}</b>
                      </span>
                    ))}
                  </td>
                  <td class="actions">
                    <button type="button" onClick={() => void remove(c.id)} aria-label={`Delete ${c.id}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          {configurationId && !selected && configurations.length > 0 && <p class="muted">No configuration {configurationId}.</p>}
          {selected && selectedHistory && (
            <section class="panel" aria-labelledby="configuration-title">
              <h2 id="configuration-title">Compliance of {selected.id} over time</h2>
              <TimeChart
                series={names.map((label, i) => ({ label, color: COLORS[i % COLORS.length] ?? '#000' }))}
                data={selectedHistory.data}
                testId="configuration-chart"
                label={`Compliance of ${selected.id}: ${names.map((name, i) => `${name} ${metricValues(selected)[i] ?? 0}`).join(', ')}`}
              />
              <details>
                <summary>Content and metric queries</summary>
                <pre class="json">{JSON.stringify({ content: selected.content, metrics: selected.metrics.queries }, null, 2)}</pre>
              </details>
            </section>
          )}
        </div>
        <ConfigurationForm session={session} onCreated={() => void load()} />
      </div>
    </section>
  );
}
