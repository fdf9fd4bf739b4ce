import { useState } from 'preact/hooks';
import { api, queryPage } from './api.js';
import { appendBounded } from './bounded.js';
import { ErrorLine } from './errors-view.js';
import { isFinal, jobRowsQuery, timeOf, type DeviceJobRow, type Job, type JobStatistics } from './job-types.js';
import { useLatestOnly } from './latest-only.js';
import { useRefreshOn } from './live-events.js';
import { usePoll } from './poll.js';
import { deviceHref } from './route.js';
import type { Session } from './session.js';
import { TimeChart, type Series, type TimeData } from './time-chart.js';

/** Samples of the progress chart kept (one a second while the job runs: 20 minutes). */
const MAX_SAMPLES = 1200;
const ROWS_PAGE = 100;
/** Sampling while the job runs, and while it waits for its start. */
const RUNNING_POLL_MS = 1000;
const WAITING_POLL_MS = 3000;
const COUNTS: Array<{ key: keyof JobStatistics; label: string; color: string }> = [
  { key: 'succeededCount', label: 'succeeded', color: '#15803d' },
  { key: 'failedCount', label: 'failed', color: '#b91c1c' },
  { key: 'runningCount', label: 'running', color: '#d97706' },
  { key: 'pendingCount', label: 'pending', color: '#64748b' },
];
const SERIES: Series[] = COUNTS.map(({ label, color }) => ({ label, color }));

/** A job's operations show up as twin writes by the job and method calls; either means its counts moved. */
const jobActivity = (name: string, data: unknown): boolean => (name === 'twinUpdated' && (data as { source?: string }).source === 'job') || name === 'methodInvoked';

/** What a device row says beyond its status: the method's answer, or the error. */
function outcomeOf(row: DeviceJobRow): string {
  if (row.error) return `${row.error.code ?? ''} ${row.error.description ?? ''}`.trim();
  const response = row.outcome?.deviceMethodResponse;
  return response ? `status ${response.status}: ${JSON.stringify(response.payload)}` : '';
}

/** One job: its counts and a progress chart, live while it is active; cancel; its device rows. */
export function JobDetail({ session, jobId }: { session: Session; jobId: string }) {
  const [job, setJob] = useState<Job>();
  const [rows, setRows] = useState<DeviceJobRow[]>([]);
  const [continuation, setContinuation] = useState<string>();
  const [chart, setChart] = useState<TimeData>({ times: [], columns: COUNTS.map(() => []) });
  const [error, setError] = useState<unknown>();
  const latest = useLatestOnly();
  const path = `/jobs/v2/${encodeURIComponent(jobId)}`;

  const load = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const [{ body }, page] = await Promise.all([api<Job>(session, 'GET', path), queryPage<DeviceJobRow>(session, jobRowsQuery(jobId), ROWS_PAGE)]);
      if (!latest.isLatest(ticket)) return;
      setJob(body);
      setRows(page.rows);
      setContinuation(page.continuation);
      setError(undefined);
      const stats = body.deviceJobStatistics;
      if (stats) {
        setChart((data) => ({
          times: appendBounded(data.times, Date.now() / 1000, MAX_SAMPLES),
          columns: COUNTS.map(({ key }, i) => appendBounded(data.columns[i] ?? [], stats[key], MAX_SAMPLES)),
        }));
      }
    } catch (e) {
      if (latest.isLatest(ticket)) setError(e);
    }
  };
  const active = job === undefined || !isFinal(job.status);
  // The hub emits no event when a job changes status, so the page samples it while it is active,
  // and reads it again when the live stream shows the job's twin writes or method calls.
  usePoll(() => void load(), job?.status === 'queued' ? WAITING_POLL_MS : RUNNING_POLL_MS, active, [jobId]);
  useRefreshOn(jobActivity, () => void load(), [jobId], 300);

  const more = async (): Promise<void> => {
    try {
      const page = await queryPage<DeviceJobRow>(session, jobRowsQuery(jobId), ROWS_PAGE, continuation);
      setRows((list) => [...list, ...page.rows]);
      setContinuation(page.continuation);
    } catch (e) {
      setError(e);
    }
  };
  const cancel = async (): Promise<void> => {
    try {
      setJob((await api<Job>(session, 'POST', `${path}/cancel`)).body);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };

  const stats = job?.deviceJobStatistics;
  const done = stats ? stats.succeededCount + stats.failedCount : 0;
  return (
    <section class="panel" aria-labelledby="job-title">
      <h2 id="job-title">
        Job {jobId} {job && <span class={`badge status-${job.status}`} data-testid="job-status">{job.status}</span>}
      </h2>
      <ErrorLine error={error} />
      {job && (
        <>
          <dl class="facts">
            <dt>Type</dt>
            <dd>{job.type === 'scheduleUpdateTwin' ? 'twin update' : `method ${job.cloudToDeviceMethod?.methodName ?? ''}`}</dd>
            <dt>Condition</dt>
            <dd>
              <code>{job.queryCondition}</code>
            </dd>
            <dt>Started</dt>
            <dd>{timeOf(job.startTime)}</dd>
            <dt>Ended</dt>
            <dd>{timeOf(job.endTime)}</dd>
          </dl>
          {job.failureReason && <p class="error">{job.failureReason}</p>}
          {stats && (
            <div class="row">
              <label>
                Progress: {done} of {stats.deviceCount} devices done
                <progress max={Math.max(1, stats.deviceCount)} value={done} />
              </label>
              <ul class="counts" data-testid="job-counts">
                {COUNTS.map(({ key, label }) => (
                  <li key={key} class={`count-${label}`}>
                    <b>{stats[key]}</b> {label}
                  </li>
                ))}
              </ul>
              <button type="button" onClick={() => void cancel()} disabled={isFinal(job.status)}>
                Cancel job
              </button>
            </div>
          )}
          <TimeChart series={SERIES} data={chart} testId="job-chart" label={`Job progress over time: ${stats ? COUNTS.map(({ key, label }) => `${label} ${stats[key]}`).join(', ') : ''}`} height={200} />
        </>
      )}
      <table data-testid="job-rows">
        <caption>
          Device rows (<code>{jobRowsQuery(jobId)}</code>): {rows.length}
        </caption>
        <thead>
          <tr>
            <th>Device</th>
            <th>Status</th>
            <th>Updated</th>
            <th>Method response or error</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.deviceId} data-device={row.deviceId}>
              <td>
                <a href={deviceHref(row.deviceId)}>{row.deviceId}</a>
              </td>
              <td class={row.status === 'failed' ? 'bad' : row.status === 'completed' ? 'good' : ''}>{row.status}</td>
              <td>{timeOf(row.lastUpdatedDateTimeUtc)}</td>
              <td class="json">{outcomeOf(row)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {continuation && (
        <button type="button" onClick={() => void more()}>
          More device rows
        </button>
      )}
    </section>
  );
}
