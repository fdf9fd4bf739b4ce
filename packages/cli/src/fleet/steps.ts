import { setTimeout as pause } from 'node:timers/promises';
import { ServiceError, type JobTwinPatch, type ServiceClient } from '@hubemu/backend';
import type { JsonObject } from '@hubemu/shared';
import type { FleetRecorder } from './fleet-recorder.js';
import { epochNow } from './protocol.js';
import type { Scenario, Step } from './scenario.js';
import type { WorkerPool } from './worker-pool.js';

export interface StepRecord {
  step: string;
  /** Since the command started. */
  startedAtMs: number;
  durationMs: number;
  outcome: string;
}

export interface StepContext {
  scenario: Scenario;
  client: ServiceClient;
  pool: WorkerPool;
  recorder: FleetRecorder;
  /** Which worker runs each device. */
  owners: ReadonlyMap<string, number>;
  deviceIds: readonly string[];
  /** Appended to job and configuration ids, so runs against one hub do not collide. */
  tag: string;
  deadline: number | undefined;
  signal: AbortSignal;
  seed: number;
  /** Undo actions (delete configurations) run at the end unless --keep. */
  cleanup: Array<() => Promise<void>>;
}

const POLL_MS = 100;
const PATCH_CONCURRENCY = 8;

function reasonOf(error: unknown): string {
  return error instanceof ServiceError ? `${error.status} ${error.errorCode}` : error instanceof Error ? error.message : String(error);
}

/** The first `share` of the devices (deterministic). */
function shareOf(ids: readonly string[], share: number): string[] {
  return ids.slice(0, Math.round(share * ids.length));
}

/** Marks the rollout's start (once) and tells the workers to watch for convergence from then on. Returns whether this step started it. */
function startRollout(context: StepContext): boolean {
  if (context.recorder.rolloutStartedAt !== undefined) return false;
  const since = epochNow();
  context.recorder.markRolloutStart(since);
  if (context.scenario.convergence) context.pool.broadcast({ type: 'watch', convergence: context.scenario.convergence, since });
  return true;
}

/**
 * The hub's own time of creating what started the rollout (a configuration's createdTimeUtc, a job's
 * createdTime), when it lies between our request and its answer (the same clock: a hub on this machine);
 * otherwise the rollout stays timed from the request.
 */
function useHubTime(context: StepContext, hubTime: string | undefined, answeredAt: number): void {
  const at = hubTime === undefined ? Number.NaN : Date.parse(hubTime);
  const sent = context.recorder.rolloutStartedAt ?? Number.NaN;
  if (Number.isFinite(at) && at >= Math.floor(sent) && at <= answeredAt) context.recorder.rolloutStartedAt = at;
}

async function eachLimited(ids: readonly string[], signal: AbortSignal, work: (id: string) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < ids.length && !signal.aborted) await work(ids[next++] as string);
  };
  await Promise.all(Array.from({ length: PATCH_CONCURRENCY }, lane));
}

/** Polls `done` until it holds, the step's timeout, the run's deadline or an abort; says which. */
async function waitUntil(context: StepContext, timeoutMs: number, done: () => Promise<boolean> | boolean): Promise<string> {
  const until = Math.min(epochNow() + timeoutMs, context.deadline ?? Number.POSITIVE_INFINITY);
  for (;;) {
    if (await done()) return 'reached';
    if (context.signal.aborted) return 'interrupted';
    if (epochNow() >= until) return 'timed out';
    await pause(POLL_MS, undefined, { signal: context.signal }).catch(() => undefined);
  }
}

async function queryCount(client: ServiceClient, sql: string): Promise<number> {
  const rows = await client.query.all<Record<string, unknown>>(sql);
  const first = rows[0];
  if (rows.length === 1 && first && Object.keys(first).length === 1 && typeof Object.values(first)[0] === 'number') return Object.values(first)[0] as number;
  return rows.length;
}

async function execute(step: Step, context: StepContext): Promise<string> {
  const { client, recorder } = context;
  if ('createConfiguration' in step) {
    const c = step.createConfiguration;
    const id = `${c.id}-${context.tag}`;
    const first = startRollout(context);
    const created = await client.configurations.create(id, { content: { deviceContent: c.content as JsonObject }, targetCondition: c.targetCondition, priority: c.priority });
    if (first) useHubTime(context, created.createdTimeUtc, epochNow());
    context.cleanup.push(() => client.configurations.delete(id));
    return `created ${id}`;
  }
  if ('startJob' in step) {
    const j = step.startJob;
    const id = `${j.id}-${context.tag}`;
    const first = startRollout(context);
    const job = j.method
      ? await client.jobs.scheduleDeviceMethod(id, {
          queryCondition: j.queryCondition,
          method: { methodName: j.method.name, payload: j.method.payload ?? null, responseTimeoutInSeconds: j.method.responseTimeoutInSeconds },
        })
      : await client.jobs.scheduleTwinUpdate(id, { queryCondition: j.queryCondition, twinPatch: j.twinPatch as JobTwinPatch });
    if (first) useHubTime(context, job.createdTime, epochNow());
    if (!j.wait) return `started ${id}`;
    const finished = await client.jobs.waitUntilFinished(id, { timeoutMs: Math.max(1, (context.deadline ?? epochNow() + 600_000) - epochNow()) });
    return `${id} ${finished.status}`;
  }
  if ('patchDesired' in step || 'tag' in step) {
    const desired = 'patchDesired' in step;
    const ids = shareOf(context.deviceIds, desired ? step.patchDesired.share : step.tag.share);
    if (desired) startRollout(context);
    const update = desired ? { properties: { desired: step.patchDesired.patch as JsonObject } } : { tags: step.tag.tags as JsonObject };
    let refused = 0;
    await eachLimited(ids, context.signal, async (id) => {
      await client.twins.patch(id, update).catch((error: unknown) => {
        refused++;
        recorder.addError(`${desired ? 'patchDesired' : 'tag'}: ${reasonOf(error)}`, id);
      });
    });
    return `${ids.length - refused} of ${ids.length} twins patched`;
  }
  if ('disconnect' in step) {
    const ids = shareOf(context.deviceIds, step.disconnect.share);
    startRollout(context);
    const byWorker = new Map<number, string[]>();
    for (const id of ids) {
      const owner = context.owners.get(id);
      if (owner === undefined) continue;
      byWorker.set(owner, [...(byWorker.get(owner) ?? []), id]);
    }
    for (const [worker, deviceIds] of byWorker) context.pool.sendTo(worker, { type: 'disconnect', deviceIds, downtimeMs: step.disconnect.downtimeMs });
    return `${ids.length} devices disconnected`;
  }
  if ('waitFor' in step) {
    const w = step.waitFor;
    if (w.converged !== undefined) {
      const needed = Math.ceil(w.converged * recorder.planned);
      // Stop waiting once the devices still able to converge cannot reach the share.
      return waitUntil(context, w.timeoutMs, () => recorder.convergedAt.size >= needed || recorder.planned - recorder.settledWithoutConverging < needed);
    }
    const sql = w.query as string;
    const count = w.count as number;
    return waitUntil(context, w.timeoutMs, async () => (await queryCount(client, sql).catch(() => -1)) >= count);
  }
  const p = step.pause;
  const ms = p.untilDuration ? Math.max(0, (context.deadline ?? epochNow()) - epochNow()) : (p.ms ?? 0);
  await pause(ms, undefined, { signal: context.signal }).catch(() => undefined);
  return context.signal.aborted ? 'interrupted' : `paused ${Math.round(ms)} ms`;
}

/** Carries out one step; a refusal by the hub is recorded (kind and step), never thrown past the run. */
export async function runStep(step: Step, context: StepContext): Promise<StepRecord> {
  const name = Object.keys(step)[0] ?? 'step';
  const started = epochNow();
  let outcome: string;
  try {
    outcome = await execute(step, context);
  } catch (error) {
    outcome = `failed: ${reasonOf(error)}`;
    context.recorder.addError(`${name}: ${reasonOf(error)}`, '');
  }
  return { step: name, startedAtMs: Math.round(started - context.recorder.startedAt), durationMs: Math.round(epochNow() - started), outcome };
}
