import { z } from 'zod';

const ms = z.number().nonnegative();

/**
 * A duration drawn per device: a number (fixed), `{ fixed }`, `{ uniform: [min, max] }`,
 * `{ normal: { mean, sd } }` (cut at 0) or `{ exponential: { mean } }`. Milliseconds.
 */
export const DistributionSchema = z.union([
  ms,
  z.strictObject({ fixed: ms }),
  z.strictObject({ uniform: z.tuple([ms, ms]).refine(([min, max]) => min <= max, 'uniform needs [min, max] with min <= max') }),
  z.strictObject({ normal: z.strictObject({ mean: ms, sd: ms }) }),
  z.strictObject({ exponential: z.strictObject({ mean: ms }) }),
]);
export type Distribution = z.infer<typeof DistributionSchema>;

const share = z.number().min(0).max(1);

/** One group of simulated devices. */
export const DeviceModelSchema = z.strictObject({
  /** Built-in behaviour set: thermostat (everything), sensor (configuration + telemetry), plain (connects only). */
  model: z.enum(['thermostat', 'sensor', 'plain']),
  /** How many devices; with --devices N, counts are scaled so they add up to N. Default 1 (a weight). */
  count: z.number().int().min(0).max(1_000_000).optional(),
  /** Applying a telemetryConfig (Pending -> Success). Default 200 ms. */
  applyDelayMs: DistributionSchema.optional(),
  /** Each firmware stage (downloading, verifying, applying, rebooting). Default 300 ms. */
  firmwareStageMs: DistributionSchema.optional(),
  /** Offline time of a reboot. Default 500 ms. */
  rebootDowntimeMs: DistributionSchema.optional(),
  /** Share of configuration and firmware updates that fail (status Failed / error). Default 0. */
  failureRate: share.optional(),
  /** Telemetry interval per device; null sends none. Default: the reported sendFrequency, else 60 s. */
  telemetryIntervalMs: z.number().int().min(100).nullable().optional(),
  /** A share of the devices drop offline now and then: every `everyMs` (drawn) for `forMs` (drawn). */
  offline: z.strictObject({ share, everyMs: DistributionSchema, forMs: DistributionSchema }).optional(),
});
export type DeviceModel = z.infer<typeof DeviceModelSchema>;

const json = z.json();
const desiredPatch = z.record(z.string(), json);

/** The steps of a rollout; each is an object with exactly one key. */
export const StepSchema = z.union([
  z.strictObject({
    createConfiguration: z.strictObject({
      id: z.string().regex(/^[a-z0-9-]{1,128}$/, 'a configuration id is 1-128 lowercase letters, digits and dashes'),
      targetCondition: z.string().min(1).default('*'),
      priority: z.number().int().min(0).default(10),
      /** Twin paths to values, e.g. `properties.desired.telemetryConfig: {...}`. */
      content: desiredPatch,
    }),
  }),
  z.strictObject({
    startJob: z.strictObject({
      id: z.string().min(1).max(128),
      queryCondition: z.string().min(1).default('*'),
      /** A direct method on every matching device, or a twin patch. */
      method: z.strictObject({ name: z.string().min(1), payload: json.optional(), responseTimeoutInSeconds: z.number().int().min(5).max(300).default(30) }).optional(),
      twinPatch: z.strictObject({ tags: desiredPatch.optional(), properties: z.strictObject({ desired: desiredPatch }).optional() }).optional(),
      /** Wait until the hub reports the job finished. Default false. */
      wait: z.boolean().default(false),
    }).refine((job) => (job.method === undefined) !== (job.twinPatch === undefined), 'a job has either method or twinPatch'),
  }),
  z.strictObject({
    patchDesired: z.strictObject({ share: share.default(1), patch: desiredPatch }),
  }),
  z.strictObject({
    tag: z.strictObject({ share: share.default(1), tags: desiredPatch }),
  }),
  z.strictObject({
    waitFor: z
      .strictObject({
        /** Share of the planned devices converged (0-1). */
        converged: share.optional(),
        /** A twin query (`SELECT COUNT() AS n FROM devices WHERE ...` or any SELECT) and the count it must reach. */
        query: z.string().min(1).optional(),
        count: z.number().int().min(0).optional(),
        timeoutMs: z.number().int().min(1).default(600_000),
      })
      .refine((w) => w.converged !== undefined || (w.query !== undefined && w.count !== undefined), 'waitFor needs converged, or query with count'),
  }),
  z.strictObject({
    disconnect: z.strictObject({ share, downtimeMs: DistributionSchema.default(0) }),
  }),
  z.strictObject({
    /** Keep running: `ms`, or until --duration has passed since the rollout started. */
    pause: z.strictObject({ ms: z.number().int().min(0).optional(), untilDuration: z.boolean().optional() }),
  }),
]);
export type Step = z.infer<typeof StepSchema>;

/** When a device counts as converged: a reported value it reached, or that it reconnected. */
export const ConvergenceSchema = z.union([
  z.strictObject({
    /** Path under properties.reported, e.g. `telemetryConfig`. */
    reported: z.string().min(1),
    /** Fields the object at that path must hold. */
    matches: desiredPatch,
    /** Fields that mean the device failed to converge. */
    failsWhen: desiredPatch.optional(),
  }),
  z.strictObject({ reconnected: z.literal(true) }),
]);
export type Convergence = z.infer<typeof ConvergenceSchema>;

const ROLLOUT_STEPS = ['createConfiguration', 'startJob', 'patchDesired', 'disconnect'];

export const ScenarioSchema = z
  .strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Devices when neither the file's counts nor --devices say. */
  devices: z.array(DeviceModelSchema).min(1),
  /** What the rollout measures; without it the run reports connections and messages only. */
  convergence: ConvergenceSchema.optional(),
  steps: z.array(StepSchema).default([]),
  /** How often the hub the command starts evaluates configurations. Default 500 ms. */
  configurationIntervalMs: z.number().int().min(10).max(86_400_000).default(500),
  })
  .superRefine((scenario, context) => {
    const starts = scenario.steps.some((step) => ROLLOUT_STEPS.some((name) => name in step));
    if (scenario.convergence && !starts) {
      context.addIssue({ code: 'custom', path: ['convergence'], message: `convergence is measured from the rollout's first step, and no step starts one (${ROLLOUT_STEPS.join(', ')})` });
    }
    scenario.steps.forEach((step, index) => {
      if ('waitFor' in step && step.waitFor.converged !== undefined && !scenario.convergence) {
        context.addIssue({ code: 'custom', path: ['steps', index, 'waitFor', 'converged'], message: 'waiting for a converged share needs the scenario to say what converged means (convergence)' });
      }
    });
  });
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** How long a scenario runs without --duration (ms): 30 s when a step pauses until the duration (soak), else no limit but the steps' own timeouts. */
export function defaultDurationMs(scenario: Scenario): number | undefined {
  return scenario.steps.some((step) => 'pause' in step && step.pause.untilDuration === true) ? 30_000 : undefined;
}
