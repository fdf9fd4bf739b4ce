import { InvalidArgumentError, Option, type Command } from 'commander';
import { isServiceError, type JobResponse, type JobStatus, type JobTwinPatch, type JobType, type ServiceClient } from '@hubemu/backend';
import { JOB_STATUSES, JOB_TYPES, MethodRequestSchema } from '@hubemu/shared';
import { integerFlag, rangeOf, schemaFlag } from '../options.js';
import { parseJsonArgument, parseJsonObjectArgument, runServiceCommand, UsageError, withServiceOptions, type ServiceFlags } from './service-command.js';

/** A method job's call is a method request: its timeouts take the ranges the hub parses it with (shared). */
const METHOD = MethodRequestSchema.shape;

interface JobIdFlags extends ServiceFlags {
  jobId: string;
}

interface CreateFlags extends JobIdFlags {
  jobType: JobType;
  queryCondition: string;
  twinPatch?: string;
  methodName?: string;
  methodPayload: string;
  methodResponseTimeout: number;
  methodConnectTimeout: number;
  startTime?: string;
  ttl: number;
  wait?: boolean;
  pollInterval: number;
  pollDuration: number;
}

interface ListFlags extends ServiceFlags {
  jobType?: JobType;
  jobStatus?: JobStatus;
  top?: number;
}

/** `--start-time`: any date Date.parse reads, sent as ISO-8601 UTC. */
function parseStartTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`--start-time must be an ISO-8601 date and time, e.g. 2030-01-31T08:00:00Z.`);
  return new Date(ms).toISOString();
}

/** `--twin-patch`: tags and/or properties.desired (and optionally an etag), as az takes it. */
function twinPatchOf(value: string): JobTwinPatch {
  const patch = parseJsonObjectArgument('--twin-patch', value);
  if (patch.tags === undefined && patch.properties === undefined) {
    throw new UsageError(`--twin-patch must carry tags and/or properties.desired, e.g. --twin-patch '{"properties": {"desired": {"interval": 5}}}'.`);
  }
  return patch as JobTwinPatch;
}

async function createJob(client: ServiceClient, flags: CreateFlags): Promise<JobResponse> {
  const schedule = {
    queryCondition: flags.queryCondition,
    maxExecutionTimeInSeconds: flags.ttl,
    ...(flags.startTime === undefined ? {} : { startTime: flags.startTime }),
  };
  let created: JobResponse;
  if (flags.jobType === 'scheduleUpdateTwin') {
    if (flags.twinPatch === undefined) throw new UsageError('A scheduleUpdateTwin job needs --twin-patch.');
    if (flags.methodName !== undefined) throw new UsageError('--method-name is for scheduleDeviceMethod jobs.');
    created = await client.jobs.scheduleTwinUpdate(flags.jobId, { ...schedule, twinPatch: twinPatchOf(flags.twinPatch) });
  } else {
    if (flags.methodName === undefined) throw new UsageError('A scheduleDeviceMethod job needs --method-name.');
    if (flags.twinPatch !== undefined) throw new UsageError('--twin-patch is for scheduleUpdateTwin jobs.');
    created = await client.jobs.scheduleDeviceMethod(flags.jobId, {
      ...schedule,
      method: {
        methodName: flags.methodName,
        payload: parseJsonArgument('--method-payload', flags.methodPayload),
        responseTimeoutInSeconds: flags.methodResponseTimeout,
        connectTimeoutInSeconds: flags.methodConnectTimeout,
      },
    });
  }
  if (!flags.wait) return created;
  try {
    return await client.jobs.waitUntilFinished(flags.jobId, { timeoutMs: flags.pollDuration * 1000, pollIntervalMs: flags.pollInterval * 1000 });
  } catch (error) {
    if (!isServiceError(error) || error.errorCode !== 'JobWaitTimeout') throw error;
    // As az: after --poll-duration, show where the job is (its status says it has not finished).
    process.stderr.write(`hubemu: ${error.message} Showing its current state.\n`);
    return client.jobs.get(flags.jobId);
  }
}

const jobIdOption = (): Option => new Option('--job-id <id>', 'the job id').makeOptionMandatory();

/** `hubemu job create|show|list|cancel`, named after `az iot hub job`. */
export function registerJob(program: Command): void {
  const group = program.command('job').description('Schedule twin updates and direct methods on many devices, and follow them (jobs v2).');

  withServiceOptions(
    group
      .command('create')
      .description('Schedule a twin update or a direct method on the devices a query condition selects.')
      .addOption(jobIdOption())
      .addOption(new Option('--jt, --job-type <type>', 'the kind of job').choices(JOB_TYPES).makeOptionMandatory())
      .addOption(new Option('-q, --query-condition <condition>', "which devices: a WHERE condition without WHERE, e.g. \"tags.building = '43'\", or '*' for every device").makeOptionMandatory())
      .option('--patch, --twin-patch <json>', 'scheduleUpdateTwin: tags and/or properties.desired to merge into each twin (JSON, or a file holding it)')
      .option('--mn, --method-name <name>', 'scheduleDeviceMethod: the method to invoke')
      .option('--mp, --method-payload <json>', 'scheduleDeviceMethod: the payload (JSON, or a file holding it)', 'null')
      .option(
        '--mrt, --method-response-timeout <seconds>',
        `how long the hub waits for each device to answer (${rangeOf(METHOD.responseTimeoutInSeconds)})`,
        schemaFlag('--method-response-timeout', METHOD.responseTimeoutInSeconds),
        30,
      )
      .option(
        '--mct, --method-connect-timeout <seconds>',
        `how long the hub waits for an offline device to connect (${rangeOf(METHOD.connectTimeoutInSeconds)})`,
        schemaFlag('--method-connect-timeout', METHOD.connectTimeoutInSeconds),
        30,
      )
      .option('--start, --start-time <iso-8601>', 'when the job starts (default: at once)', parseStartTime)
      .option('--ttl <seconds>', 'maxExecutionTimeInSeconds: how long the job may run before the hub fails what is left', integerFlag('--ttl', 1, 2_147_483_647), 3600)
      .option('-w, --wait', 'wait until the job is completed, failed or cancelled, and print it then')
      .option('--interval, --poll-interval <seconds>', 'with --wait: the longest pause between two reads of the job (1-3600)', integerFlag('--poll-interval', 1, 3600), 10)
      .option('--duration, --poll-duration <seconds>', 'with --wait: stop waiting after this long and print the job as it is (1-86400)', integerFlag('--poll-duration', 1, 86_400), 600),
  ).action((flags: CreateFlags) => runServiceCommand(flags, (client) => createJob(client, flags)));

  withServiceOptions(group.command('show').description('Show a job, with its device statistics.').addOption(jobIdOption())).action((flags: JobIdFlags) =>
    runServiceCommand(flags, (client) => client.jobs.get(flags.jobId)),
  );

  withServiceOptions(
    group
      .command('list')
      .description('List jobs, oldest first (GET /jobs/v2/query, every page).')
      .addOption(new Option('--jt, --job-type <type>', 'only jobs of this type').choices(JOB_TYPES))
      .addOption(new Option('--js, --job-status <status>', 'only jobs in this status').choices(JOB_STATUSES))
      .option('--top <n>', 'at most this many jobs (1-1000000; default: all)', integerFlag('--top', 1, 1_000_000)),
  ).action((flags: ListFlags) =>
    runServiceCommand(flags, (client) =>
      client.jobs.list({
        ...(flags.jobType === undefined ? {} : { jobType: flags.jobType }),
        ...(flags.jobStatus === undefined ? {} : { jobStatus: flags.jobStatus }),
        ...(flags.top === undefined ? {} : { top: flags.top }),
      }),
    ),
  );

  withServiceOptions(group.command('cancel').description('Cancel a job: devices not yet started are skipped; a finished job is shown unchanged.').addOption(jobIdOption())).action(
    (flags: JobIdFlags) => runServiceCommand(flags, (client) => client.jobs.cancel(flags.jobId)),
  );
}
