import { HubError, methodPayloadText, parseRequiredBody, parseWithSchema, serviceTwinWrite, validateTwinValue, withoutSystemKeys } from '@hubemu/shared';
import { parseCondition } from '../query/index.js';
import { DEFAULT_MAX_EXECUTION_SECONDS, JobIdSchema, JobRequestSchema, type JobRequest, type StoredJob } from './job-schemas.js';
import { emptyStatistics, initialStatus } from './job-state.js';

/**
 * A `PUT /jobs/v2/{id}` body, parsed once at the edge it came in by (the REST route, or an embedded
 * caller before `hub.jobs.create`): checked as the Node SDK sends it, maxExecutionTimeInSeconds within
 * 1..2^31-1, a method call by the direct-method grammar. Absent is 400 ArgumentNull.
 */
export function parseJobRequest(body: unknown): JobRequest {
  return parseRequiredBody(JobRequestSchema, body, 'job request');
}

/**
 * A parsed job request as the job the hub stores: the query condition parsed (400 with the parser's
 * message and position), method timeouts defaulted as the REST method API does (a payload over 128 KB
 * is 413 as on a direct call), the twin patch checked by the twin rules. `scheduled` when it starts later.
 */
export function normaliseJobRequest(jobId: string, request: JobRequest, nowMs: number): StoredJob {
  const id = parseWithSchema(JobIdSchema, jobId, 'job id');
  if (request.jobId !== undefined && String(request.jobId) !== id) {
    throw new HubError('ArgumentInvalid', `The jobId in the body ('${String(request.jobId)}') does not match the URL ('${id}').`);
  }
  parseCondition(request.queryCondition);
  const startMs = request.startTime ? Date.parse(request.startTime) : nowMs;
  return {
    jobId: id,
    type: request.type,
    queryCondition: request.queryCondition,
    createdMs: nowMs,
    startMs,
    maxExecutionTimeInSeconds: request.maxExecutionTimeInSeconds ?? DEFAULT_MAX_EXECUTION_SECONDS,
    status: initialStatus(startMs, nowMs),
    statistics: emptyStatistics(),
    ...operationOf(request),
  };
}

function operationOf(request: JobRequest): Pick<StoredJob, 'cloudToDeviceMethod' | 'updateTwin'> {
  if (request.type === 'scheduleDeviceMethod') {
    const method = request.cloudToDeviceMethod;
    if (!method) throw new HubError('ArgumentInvalid', 'A scheduleDeviceMethod job needs cloudToDeviceMethod.');
    methodPayloadText(method); // refused at creation as the direct call would refuse it (413)
    return {
      cloudToDeviceMethod: {
        methodName: method.methodName,
        payload: method.payload ?? null,
        responseTimeoutInSeconds: method.responseTimeoutInSeconds ?? 30,
        connectTimeoutInSeconds: method.connectTimeoutInSeconds ?? 0,
      },
    };
  }
  const patch = request.updateTwin;
  if (!patch) throw new HubError('ArgumentInvalid', 'A scheduleUpdateTwin job needs updateTwin.');
  // What each device gets, checked once here: reported values refused, `null` sections clear, the twin rules on the rest.
  const write = serviceTwinWrite(patch, 'patch');
  if (patch.tags === undefined && patch.properties?.desired === undefined) throw new HubError('ArgumentInvalid', 'updateTwin must carry tags and/or properties.desired.');
  for (const section of ['tags', 'desired'] as const) {
    const change = write[section];
    if (change && 'patch' in change) validateTwinValue(section, change.patch, { allowNull: true });
  }
  // Only what the job applies is kept: other fields (a whole twin copied from a GET, a $metadata) are
  // unchecked and would be echoed in every JobResponse and written to the log.
  const { desired, reported } = patch.properties ?? {};
  const kept = {
    ...(desired === undefined ? {} : { desired: desired === null ? null : withoutSystemKeys(desired) }),
    ...(reported === undefined ? {} : { reported: {} }),
  };
  return {
    updateTwin: {
      ...(patch.tags === undefined ? {} : { tags: patch.tags }),
      ...(Object.keys(kept).length === 0 ? {} : { properties: kept }),
      ...(typeof patch.etag === 'string' ? { etag: patch.etag } : {}),
    },
  };
}
