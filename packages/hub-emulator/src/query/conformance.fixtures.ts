import type { DeviceJobRecord, JsonObject, Twin } from '@hubemu/shared';
import type { QuerySources } from './sources.js';

/**
 * A small fleet for the conformance table: the twin of the IoT Hub query docs (`myDeviceId`), the
 * AZ3166 device of the "query twins" article, sensors in two regions, an edge gateway with modules,
 * and per-device job rows. Shapes follow section 2.1 of the protocol reference.
 */

const NEVER = '0001-01-01T00:00:00Z';
const STAMP = '2024-03-01T10:00:00.0000000Z';

interface TwinSpec {
  deviceId: string;
  moduleId?: string;
  status?: 'enabled' | 'disabled';
  connectionState?: 'Connected' | 'Disconnected';
  lastActivityTime?: string;
  modelId?: string;
  tags?: JsonObject;
  desired?: JsonObject;
  reported?: JsonObject;
  desiredVersion?: number;
  reportedVersion?: number;
  capabilities?: { iotEdge: boolean };
  /** ADM writes `Applied`/`Targeted` (capitalised, per the ADM docs). */
  configurations?: Record<string, { status: string }>;
}

export function makeTwin(spec: TwinSpec): Twin {
  const desiredVersion = spec.desiredVersion ?? 1;
  const reportedVersion = spec.reportedVersion ?? 1;
  const twin: Twin = {
    deviceId: spec.deviceId,
    ...(spec.moduleId !== undefined ? { moduleId: spec.moduleId } : {}),
    etag: 'AAAAAAAAAAE=',
    deviceEtag: 'NTgwMDg5MDAz',
    status: spec.status ?? 'enabled',
    statusUpdateTime: NEVER,
    connectionState: spec.connectionState ?? 'Disconnected',
    lastActivityTime: spec.lastActivityTime ?? NEVER,
    cloudToDeviceMessageCount: 0,
    authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    modelId: spec.modelId ?? '',
    version: desiredVersion + reportedVersion,
    ...(spec.tags !== undefined ? { tags: spec.tags } : {}),
    properties: {
      desired: { ...(spec.desired ?? {}), $metadata: { $lastUpdated: STAMP }, $version: desiredVersion },
      reported: { ...(spec.reported ?? {}), $metadata: { $lastUpdated: STAMP }, $version: reportedVersion },
    },
    ...(spec.capabilities !== undefined ? { capabilities: spec.capabilities } : { capabilities: { iotEdge: false } }),
  };
  if (spec.configurations !== undefined) {
    // The shared Twin type spells these statuses in lower case; the service (ADM docs) writes `Applied`.
    (twin as unknown as { configurations: Record<string, { status: string }> }).configurations = spec.configurations;
  }
  return twin;
}

export const DEVICES: readonly Twin[] = [
  makeTwin({
    deviceId: 'myDeviceId',
    tags: { location: { region: 'US', plant: 'Redmond43' } },
    desired: { telemetryConfig: { configId: 'db00ebf5-eeeb-42be-86a1-458cccb69e57', sendFrequencyInSecs: 300 } },
    desiredVersion: 4,
    reported: {
      connectivity: { type: 'cellular' },
      telemetryConfig: { configId: 'db00ebf5-eeeb-42be-86a1-458cccb69e57', sendFrequencyInSecs: 300, status: 'Success' },
      lastDesiredVersion: 4,
    },
    reportedVersion: 7,
  }),
  makeTwin({
    deviceId: 'AZ3166Device',
    lastActivityTime: '2021-05-07T00:50:38.0543092Z',
    desiredVersion: 2,
    reported: { connectivity: 'wifi', telemetryConfig: { sendFrequencyInSecs: 60, status: 'Pending' }, lastDesiredVersion: 1 },
  }),
  makeTwin({
    deviceId: 'sensor-us-01',
    connectionState: 'Connected',
    lastActivityTime: '2024-03-01T09:59:00.0000000Z',
    tags: { location: { region: 'US', plant: 'Redmond43' }, environment: 'prod' },
    reported: { connectivity: 'wifi', telemetryConfig: { sendFrequencyInSecs: 30, status: 'Success' }, lastDesiredVersion: 1 },
  }),
  makeTwin({
    deviceId: 'sensor-us-02',
    status: 'disabled',
    tags: { location: { region: 'US', plant: 'Austin' }, environment: 'prod' },
    reported: { connectivity: 'cellular', telemetryConfig: { sendFrequencyInSecs: 120, status: 'Error' } },
  }),
  makeTwin({
    deviceId: 'sensor-eu-01',
    connectionState: 'Connected',
    tags: { location: { region: 'EU', plant: 'Dublin' }, environment: 'test' },
    reported: { connectivity: 'wired', telemetryConfig: { sendFrequencyInSecs: 60, status: 'Success' } },
    configurations: { 'my-config': { status: 'Applied' } },
  }),
  makeTwin({
    deviceId: 'sensor-eu-02',
    tags: { location: { region: 'EU', plant: 'Dublin' }, environment: 'test' },
    reported: { connectivity: 5, telemetryConfig: { sendFrequencyInSecs: 300, status: 'Pending' } },
    configurations: { 'my-config': { status: 'Targeted' } },
  }),
  makeTwin({
    deviceId: 'gateway-01',
    connectionState: 'Connected',
    capabilities: { iotEdge: true },
    tags: { group: { name: 'gateways' }, environment: 'test' },
    reported: { connectivity: null },
  }),
  makeTwin({ deviceId: 'device1', tags: { environment: 'test' } }),
  makeTwin({ deviceId: 'device2', tags: { environment: 'prod' } }),
  makeTwin({
    deviceId: 'test-device',
    tags: { location: { region: 'us' } },
    reported: { Connectivity: 'wifi' },
  }),
  makeTwin({
    deviceId: 'thermostat-01',
    modelId: 'dtmi:com:example:Thermostat;1',
    tags: { floor: 3, rooms: ['a', 'b'] },
    desired: { targetTemperature: 21 },
    reported: { temperature: 21.5, firmware: { version: '1.2.0' } },
  }),
  makeTwin({
    deviceId: 'thermostat-02',
    modelId: 'dtmi:com:example:Thermostat;1',
    tags: { floor: '3' },
    reported: { temperature: '22', firmware: { version: '1.3.0' } },
  }),
  makeTwin({ deviceId: 'legacy-device' }),
];

export const MODULES: readonly Twin[] = [
  makeTwin({ deviceId: 'device1', moduleId: 'scanner', reported: { status: 'scanning' } }),
  makeTwin({ deviceId: 'device1', moduleId: 'uploader', reported: { status: 'idle' } }),
  makeTwin({ deviceId: 'device2', moduleId: 'scanner', reported: { status: 'scanning' } }),
  makeTwin({ deviceId: 'gateway-01', moduleId: 'scanner', reported: { status: 'scanning' } }),
  makeTwin({ deviceId: 'gateway-01', moduleId: '$edgeAgent', tags: { role: 'runtime' } }),
  makeTwin({ deviceId: 'gateway-01', moduleId: '$edgeHub', tags: { role: 'runtime' } }),
];

function job(record: Partial<DeviceJobRecord> & Pick<DeviceJobRecord, 'deviceId' | 'jobId'>): DeviceJobRecord {
  return {
    jobType: 'scheduleUpdateTwin',
    status: 'completed',
    startTimeUtc: '2016-09-29T18:18:52.7418462Z',
    endTimeUtc: '2016-09-29T18:20:52.7418462Z',
    createdDateTimeUtc: '2016-09-29T18:18:56.7787107Z',
    lastUpdatedDateTimeUtc: '2016-09-29T18:18:56.8894408Z',
    outcome: null,
    ...record,
  };
}

export const JOBS: readonly DeviceJobRecord[] = [
  job({ deviceId: 'myDeviceId', jobId: 'myJobId' }),
  job({
    deviceId: 'myDeviceId',
    jobId: 'reboot-1',
    jobType: 'scheduleDeviceMethod',
    createdDateTimeUtc: '2016-08-01T08:00:00.0000000Z',
    outcome: { deviceMethodResponse: { status: 200, payload: { rebooted: true } } },
  }),
  job({ deviceId: 'device1', jobId: 'myJobId', status: 'failed', error: { code: 'DeviceNotOnline', description: 'offline' } }),
  job({ deviceId: 'device2', jobId: 'myJobId', status: 'running' }),
  job({ deviceId: 'device1', jobId: 'reboot-1', jobType: 'scheduleDeviceMethod', status: 'pending' }),
];

/** In-memory sources over maps, the way the twin service holds twins. */
export interface MemorySources extends QuerySources {
  readonly deviceMap: Map<string, Twin>;
  readonly moduleMap: Map<string, Twin>;
  readonly jobList: DeviceJobRecord[];
}

export function memorySources(
  devices: readonly Twin[] = DEVICES,
  modules: readonly Twin[] = MODULES,
  jobs: readonly DeviceJobRecord[] = JOBS,
): MemorySources {
  const deviceMap = new Map<string, Twin>(devices.map((t) => [t.deviceId, t] as const));
  const moduleMap = new Map<string, Twin>(modules.map((t) => [`${t.deviceId}/${t.moduleId ?? ''}`, t] as const));
  const jobList = [...jobs];
  return {
    deviceMap,
    moduleMap,
    jobList,
    devices: { list: () => deviceMap.values(), get: (key) => deviceMap.get(key) },
    modules: { list: () => moduleMap.values(), get: (key) => moduleMap.get(key) },
    deviceJobs: { list: () => jobList },
  };
}
