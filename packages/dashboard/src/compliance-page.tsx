import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { queryPage } from './api.js';
import { collectLeaves, complianceConditions, FAILED_STATUSES, parsePropertyPath, type ComplianceGroup } from './compliance.js';
import { ErrorLine } from './errors-view.js';
import { GroupChart } from './group-chart.js';
import { useLatestOnly } from './latest-only.js';
import { useRefreshOn } from './live-events.js';
import { pathOf } from './query-text.js';
import { devicesWhereHref } from './route.js';
import type { Session } from './session.js';

const GROUPS: Array<{ group: ComplianceGroup; label: string; explain: string }> = [
  { group: 'applied', label: 'Applied', explain: 'reported equals desired' },
  { group: 'pending', label: 'Pending', explain: 'connected, not reported yet' },
  { group: 'failed', label: 'Failed', explain: `reported status ${FAILED_STATUSES.join(' or ')}` },
  { group: 'offline', label: 'Offline, stale', explain: 'disconnected before reporting it' },
  { group: 'notTargeted', label: 'Not targeted', explain: 'no desired value at the path' },
];
/** Desired values read to learn which leaves to compare (values a job or configuration wrote are alike). */
const SAMPLE = 100;
const LIVE = new Set(['twinUpdated', 'deviceConnected', 'deviceDisconnected', 'identityCreated', 'identityDeleted']);

interface Result {
  path: string[];
  leaves: string[][];
  counts: Record<ComplianceGroup, number>;
  conditions: Record<ComplianceGroup, string>;
  total: number;
}

const count = async (session: Session, condition?: string): Promise<number> => {
  const { rows } = await queryPage<{ n: number }>(session, `SELECT COUNT() AS n FROM devices${condition ? ` WHERE ${condition}` : ''}`, 1);
  return rows[0]?.n ?? 0;
};

/** Fleet compliance for a desired property path: how many devices applied it, are pending, failed, or offline with stale state; each group links to its devices. */
export function CompliancePage({ session }: { session: Session }) {
  const [text, setText] = useState('telemetryConfig');
  const [path, setPath] = useState(['telemetryConfig']);
  const [result, setResult] = useState<Result>();
  const [error, setError] = useState<unknown>();
  const latest = useLatestOnly();

  const load = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const desired = `properties.desired.${pathOf(path)}`;
      const sample = await queryPage<{ desired?: unknown }>(session, `SELECT TOP ${SAMPLE} ${desired} AS desired FROM devices WHERE IS_DEFINED(${desired})`, SAMPLE);
      const leaves = new Map<string, string[]>();
      for (const row of sample.rows) collectLeaves(row.desired, leaves);
      const conditions = complianceConditions(path, [...leaves.values()]);
      const numbers = await Promise.all([count(session), ...GROUPS.map(({ group }) => count(session, conditions[group]))]);
      if (!latest.isLatest(ticket)) return;
      const [total = 0, ...groups] = numbers;
      setResult({ path, leaves: [...leaves.values()], conditions, total, counts: Object.fromEntries(GROUPS.map(({ group }, i) => [group, groups[i] ?? 0])) as Record<ComplianceGroup, number> });
      setError(undefined);
    } catch (e) {
      if (latest.isLatest(ticket)) setError(e);
    }
  };
  useEffect(() => void load(), [path]);
  useRefreshOn((name) => LIVE.has(name), () => void load(), [path], 1000);

  const submit = (event: Event): void => {
    event.preventDefault();
    try {
      setPath(parsePropertyPath(text));
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  const classified = result ? GROUPS.reduce((sum, { group }) => sum + result.counts[group], 0) : 0;
  return (
    <section aria-labelledby="compliance-title">
      <h1 id="compliance-title">Fleet compliance</h1>
      <form class="filters" onSubmit={submit}>
        <label>
          Desired property path <input value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="telemetryConfig" />
        </label>
        <button type="submit">Show compliance</button>
      </form>
      <ErrorLine error={error} />
      {result && (
        <>
          <p>
            <code>properties.desired.{result.path.join('.')}</code> on {result.total} devices, comparing{' '}
            {result.leaves.length === 0 ? 'nothing (no device has it)' : result.leaves.map((leaf) => leaf.join('.') || '(the value)').join(', ')}.
          </p>
          <ul class="tiles" data-testid="compliance-groups">
            {GROUPS.map(({ group, label, explain }) => (
              <li key={group} class={`tile tile-${group}`} data-group={group}>
                <a href={devicesWhereHref(result.conditions[group])} aria-label={`${label}: ${result.counts[group]} devices (show them)`}>
                  <b data-testid={`count-${group}`}>{result.counts[group]}</b>
                  <span>{label}</span>
                </a>
                <small class="muted">{explain}</small>
              </li>
            ))}
          </ul>
          {classified !== result.total && (
            <p class="muted">{result.total - classified} devices fit no group: they report a leaf with another type than desired (a number for a string).</p>
          )}
          <GroupChart bars={GROUPS.filter(({ group }) => group !== 'notTargeted').map(({ group, label }) => ({ label, value: result.counts[group] }))} />
          <details>
            <summary>How it is computed</summary>
            <p>
              The page reads the desired value of up to {SAMPLE} devices to learn which leaves to compare, then counts each group with one query
              (<code>SELECT COUNT() AS n FROM devices WHERE ...</code>); no twin is loaded whole. It counts again when twins change or devices connect
              or disconnect. The conditions:
            </p>
            <dl class="conditions">
              {GROUPS.map(({ group, label }) => (
                <Fragment key={group}>
                  <dt>{label}</dt>
                  <dd>
                    <code>{result.conditions[group]}</code>
                  </dd>
                </Fragment>
              ))}
            </dl>
          </details>
        </>
      )}
    </section>
  );
}
