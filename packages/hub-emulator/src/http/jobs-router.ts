import { Router, type Request } from 'express';
import { HubError, LIMITS } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { JobService } from '../jobs/job-service.js';
import { parseJobRequest } from '../jobs/job-request.js';
import { JobQuerySchema } from '../jobs/job-schemas.js';
import { committed, param, parseBodyWith, parsedBody, parseWith, requireAuth, ROUTE_PERMISSIONS, sendJson , type Units } from './route-kit.js';

export interface JobsRouterDeps {
  auth: SasAuthenticator;
  jobs: JobService;
  units: Units;
}

/** `x-ms-max-item-count`: 1..100 (larger values are served as 100); absent means 100. */
function pageSizeOf(req: Request): number {
  const header = req.get('x-ms-max-item-count');
  if (header === undefined || header.trim() === '') return LIMITS.queryPageSize;
  if (!/^\d+$/.test(header.trim()) || Number(header) < 1) {
    throw new HubError('ArgumentInvalid', `x-ms-max-item-count must be a positive integer, not '${header}'.`);
  }
  return Math.min(Number(header), LIMITS.queryPageSize);
}

/**
 * Jobs v2 (reference 4.5): `PUT /jobs/v2/{id}` schedules a twin update or a direct method on the
 * devices matching a query condition and answers the JobResponse (`queued` or `scheduled`);
 * `GET /jobs/v2/{id}`; `POST /jobs/v2/{id}/cancel`; `GET /jobs/v2/query?jobType=&jobStatus=` pages
 * JobResponses with `x-ms-max-item-count` / `x-ms-continuation` (present only while more pages remain)
 * and `x-ms-item-type: jobResponse`. Per-device results are rows of `FROM devices.jobs` queries.
 */
export function jobsRouter({ auth, jobs, units }: JobsRouterDeps): Router {
  const router = Router();
  const allowed = requireAuth(auth, ROUTE_PERMISSIONS.jobs);

  router.get('/jobs/v2/query', allowed, (req, res) => {
    const filters = parseWith(JobQuerySchema, req.query, 'jobs query');
    const continuation = req.get('x-ms-continuation');
    const page = jobs.query({
      jobType: filters.jobType || undefined,
      jobStatus: filters.jobStatus || undefined,
      pageSize: pageSizeOf(req),
      continuation: continuation || undefined,
    });
    res.setHeader('x-ms-item-type', 'jobResponse');
    if (page.continuation !== undefined) res.setHeader('x-ms-continuation', page.continuation);
    sendJson(res, 200, page.items);
  });

  router.put('/jobs/v2/:jobId', allowed, ...parseBodyWith(parseJobRequest), committed(units, (req, res) => {
    sendJson(res, 200, jobs.create(param(req, 'jobId'), parsedBody(parseJobRequest, req)));
  }));

  router.get('/jobs/v2/:jobId', allowed, (req, res) => {
    sendJson(res, 200, jobs.get(param(req, 'jobId')));
  });

  router.post('/jobs/v2/:jobId/cancel', allowed, committed(units, (req, res) => {
    sendJson(res, 200, jobs.cancel(param(req, 'jobId')));
  }));

  return router;
}
