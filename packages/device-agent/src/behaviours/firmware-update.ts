import { isJsonObject, type JsonObject, type JsonValue } from '@hubemu/shared';
import { jittered } from '../scheduler/random.js';
import { delay } from '../scheduler/scheduler.js';
import { isoTime, type Behaviour, type BehaviourDevice, type DesiredOutcome } from './behaviour.js';

export type FwUpdateStatus = 'downloading' | 'verifying' | 'applying' | 'rebooting' | 'current' | 'error';

/** `properties.reported.firmware`, as in the automatic device management firmware sample. */
export interface ReportedFirmware {
  currentFwVersion: string;
  pendingFwVersion: string;
  fwUpdateStatus: FwUpdateStatus;
  fwUpdateSubstatus: string;
  lastFwUpdateStartTime: string;
  lastFwUpdateEndTime: string;
}

/** What to install: desired `firmware` or the `firmwareUpdate` method's payload. */
export interface FirmwareRequest {
  version: string;
  fwPackageURI: string | undefined;
  fwPackageCheckValue: string | undefined;
}

export interface FirmwareStageDurations {
  downloading: number;
  verifying: number;
  applying: number;
  /** Offline time of the reboot that activates the new image. */
  rebooting: number;
}

export interface FirmwareUpdateOptions {
  /** Direct method that starts an update; null: none. Default `firmwareUpdate`. */
  methodName?: string | null;
  /** The version a device starts with. Default `1.0.0`. */
  initialVersion?: string;
  /** Stage durations in ms. Defaults: 300 / 100 / 200 / 300. */
  stageMs?: Partial<FirmwareStageDurations>;
  /** Random spread of each stage (fraction). Default 0.2. */
  jitter?: number;
  /** Check the package; false fails the update in `verifying`. Default: accept. */
  verify?: (request: FirmwareRequest) => boolean;
  /** Probability that verification fails anyway (seeded per device). Default 0. */
  failureRate?: number;
  /** Reconnect to activate the image (status `rebooting`). Default true. */
  reboot?: boolean;
}

const DEFAULT_STAGES: FirmwareStageDurations = { downloading: 300, verifying: 100, applying: 200, rebooting: 300 };

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** Reads `{ version | fwVersion, fwPackageURI | fwPackageUri, fwPackageCheckValue }`. */
export function readFirmwareRequest(value: JsonValue | undefined): FirmwareRequest | undefined {
  if (!isJsonObject(value)) return undefined;
  const version = text(value.version) ?? text(value.fwVersion);
  if (version === undefined) return undefined;
  return {
    version,
    fwPackageURI: text(value.fwPackageURI) ?? text(value.fwPackageUri),
    fwPackageCheckValue: text(value.fwPackageCheckValue),
  };
}

function reportedFirmware(device: BehaviourDevice): JsonObject | undefined {
  const value = device.reported.firmware;
  return isJsonObject(value) ? value : undefined;
}

/**
 * Firmware update in stages: desired `firmware: { version, fwPackageURI, fwPackageCheckValue }` (or the
 * `firmwareUpdate` method) -> reported `firmware.fwUpdateStatus` downloading -> verifying -> applying ->
 * rebooting -> current (or error), with pendingFwVersion, substatus and start/end times. A newer request
 * supersedes one in progress.
 */
export function firmwareUpdate(options: FirmwareUpdateOptions = {}): Behaviour {
  const methodName = options.methodName === undefined ? 'firmwareUpdate' : options.methodName;
  const initialVersion = options.initialVersion ?? '1.0.0';
  const stages: FirmwareStageDurations = { ...DEFAULT_STAGES, ...options.stageMs };
  const jitter = options.jitter ?? 0.2;
  const failureRate = options.failureRate ?? 0;
  return {
    name: 'firmwareUpdate',
    attach(device, { scheduler, random }) {
      let generation = 0;
      let active: string | undefined;
      const detached = new AbortController();
      const report = (fields: Partial<ReportedFirmware>): Promise<unknown> => device.updateReported({ firmware: fields });
      const current = (): string => text(reportedFirmware(device)?.currentFwVersion) ?? initialVersion;
      const wait = (stage: keyof FirmwareStageDurations): Promise<void> =>
        delay(scheduler, jittered(random, stages[stage], jitter), detached.signal);

      const run = async (request: FirmwareRequest): Promise<DesiredOutcome> => {
        const mine = ++generation;
        active = request.version;
        const superseded = (): boolean => mine !== generation;
        const fail = async (substatus: string): Promise<DesiredOutcome> => {
          await report({ fwUpdateStatus: 'error', fwUpdateSubstatus: substatus, pendingFwVersion: '', lastFwUpdateEndTime: isoTime(scheduler.now()) });
          return 'failed';
        };
        try {
          await report({
            currentFwVersion: current(),
            pendingFwVersion: request.version,
            fwUpdateStatus: 'downloading',
            fwUpdateSubstatus: '',
            lastFwUpdateStartTime: isoTime(scheduler.now()),
            lastFwUpdateEndTime: '',
          });
          if (request.fwPackageURI === undefined) return await fail('No fwPackageURI was given.');
          await wait('downloading');
          if (superseded()) return 'superseded';
          await report({ fwUpdateStatus: 'verifying' });
          await wait('verifying');
          if (superseded()) return 'superseded';
          const verified = (options.verify?.(request) ?? true) && !(failureRate > 0 && random() < failureRate);
          if (!verified) return await fail(`Package check failed (fwPackageCheckValue ${request.fwPackageCheckValue ?? 'none'}).`);
          await report({ fwUpdateStatus: 'applying' });
          await wait('applying');
          if (superseded()) return 'superseded';
          if (options.reboot !== false) {
            await report({ fwUpdateStatus: 'rebooting' });
            await device.restart({ downtimeMs: jittered(random, stages.rebooting, jitter) });
            if (superseded()) return 'superseded';
          }
          await report({
            currentFwVersion: request.version,
            pendingFwVersion: '',
            fwUpdateStatus: 'current',
            fwUpdateSubstatus: '',
            lastFwUpdateEndTime: isoTime(scheduler.now()),
          });
          return 'applied';
        } finally {
          if (!superseded()) active = undefined;
        }
      };

      const offDesired = device.onDesired(async (change) => {
        if (change.source === 'patch' && !('firmware' in change.patch)) return 'ignored';
        const request = readFirmwareRequest(change.desired.firmware);
        const reported = reportedFirmware(device);
        if (!request) {
          if (change.source === 'sync' && !reported) {
            await report({ currentFwVersion: initialVersion, pendingFwVersion: '', fwUpdateStatus: 'current', fwUpdateSubstatus: '', lastFwUpdateStartTime: '', lastFwUpdateEndTime: '' });
          }
          return 'ignored';
        }
        if (active === request.version) return 'ignored';
        if (active === undefined && current() === request.version && (reported === undefined || reported.fwUpdateStatus === 'current')) {
          if (reported) return 'ignored';
          await report({ currentFwVersion: request.version, pendingFwVersion: '', fwUpdateStatus: 'current', fwUpdateSubstatus: '', lastFwUpdateStartTime: '', lastFwUpdateEndTime: '' });
          return 'applied';
        }
        if (active === undefined && reported?.fwUpdateStatus === 'error' && text(reported.pendingFwVersion) === '' && change.source === 'sync') {
          // A failed update is not retried on every reconnect; a new desired patch retries it.
          return 'ignored';
        }
        return run(request);
      });

      const offMethod =
        methodName === null
          ? () => undefined
          : device.onMethod(methodName, (payload) => {
              const request = readFirmwareRequest(payload);
              if (!request) return { status: 400, payload: { message: 'Expected { version, fwPackageURI, fwPackageCheckValue }.' } };
              if (active !== undefined) return { status: 409, payload: { message: `Firmware ${active} is being installed.` } };
              return { status: 200, payload: { message: `Firmware update to ${request.version} started` }, afterResponse: () => run(request).then(() => undefined) };
            });

      return () => {
        detached.abort();
        offDesired();
        offMethod();
      };
    },
  };
}
