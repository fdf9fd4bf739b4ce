import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorLine } from './errors-view.js';
import { JobDetail } from './job-detail.js';
import { JobForm } from './job-form.js';
import { isFinal, timeOf, type Job } from './job-types.js';
import { useLatestOnly } from './latest-only.js';
import { useRefreshOn } from './live-events.js';
import { usePoll } from './poll.js';
import { jobHref } from './route.js';
import type { Session } from './session.js';

/** Jobs the list reads at most (the service keeps 30 days of them). */
const MAX_JOBS = 1000;

/** A REST call on jobs (`PUT /jobs/v2/:jobId`, `.../cancel`) by anyone: the list may have changed. */
const jobsRequest = (name: string, data: unknown): boolean => name === 'request' && /\/jobs\/v2\//.test((data as { operation?: string }).operation ?? '') && !/^GET /.test((data as { operation?: string }).operation ?? '');

/** Jobs: the list (`GET /jobs/v2/query`), a form to create one, and the job the route names. */
export function JobsPage({ session, jobId }: { session: Session; jobId?: string | undefined }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<unknown>();
  const latest = useLatestOnly();
  const load = async (): Promise<void> => {
    const ticket = latest.start();
    try {
      const all: Job[] = [];
      let continuation: string | undefined;
      do {
        const page = await api<Job[]>(session, 'GET', '/jobs/v2/query', { headers: { 'x-ms-max-item-count': '100', ...(continuation ? { 'x-ms-continuation': continuation } : {}) } });
        all.push(...page.body);
        continuation = page.headers.get('x-ms-continuation') ?? undefined;
      } while (continuation && all.length < MAX_JOBS);
      if (!latest.isLatest(ticket)) return;
      setJobs(all.reverse());
      setError(undefined);
    } catch (e) {
      if (latest.isLatest(ticket)) setError(e);
    }
  };
  const anyActive = jobs.some((job) => !isFinal(job.status));
  // Read on opening, every 2 s while a job is active, and when someone creates or cancels one.
  useEffect(() => void load(), []);
  usePoll(() => void load(), 2000, anyActive, []);
  useRefreshOn(jobsRequest, () => void load(), [], 300);

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <ErrorLine error={error} />
      <div class="columns list-and-form">
        <div>
          <div class="scroll-x">
          <table data-testid="jobs">
            <caption>{jobs.length} jobs (newest first; the service keeps finished jobs 30 days)</caption>
            <thead>
              <tr>
                <th>Job</th>
                <th>Type</th>
                <th>Status</th>
                <th>Created</th>
                <th>Devices (ok / failed / all)</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.jobId} data-job={job.jobId} class={job.jobId === jobId ? 'selected' : ''}>
                  <td>
                    <a href={jobHref(job.jobId)} aria-current={job.jobId === jobId ? 'true' : undefined}>
                      {job.jobId}
                    </a>
                  </td>
                  <td>{job.type === 'scheduleUpdateTwin' ? 'twin update' : `method ${job.cloudToDeviceMethod?.methodName ?? ''}`}</td>
                  <td class={`status-${job.status}`}>{job.status}</td>
                  <td>{timeOf(job.createdTime)}</td>
                  <td>{job.deviceJobStatistics ? `${job.deviceJobStatistics.succeededCount} / ${job.deviceJobStatistics.failedCount} / ${job.deviceJobStatistics.deviceCount}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          {jobId && <JobDetail session={session} jobId={jobId} key={jobId} />}
        </div>
        <JobForm session={session} />
      </div>
    </section>
  );
}
