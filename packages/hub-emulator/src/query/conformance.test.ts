import { HubError } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { memorySources } from './conformance.fixtures.js';
import { QueryEngine } from './query-engine.js';

/**
 * The conformance table: query, the fixture fleet of conformance.fixtures.ts, and the expected rows
 * or error. `ids` lists the keys of returned documents (deviceId, deviceId/moduleId, or
 * deviceId:jobId for job rows) in result order; `rows` the exact items. Notes name the source:
 * [ref 5.x] the protocol reference, [docs] the IoT Hub query docs, [decision] a documented hubemu call.
 */
type Expectation =
  | { readonly ids: readonly string[] }
  | { readonly rows: readonly unknown[] }
  | { readonly error: RegExp; readonly position?: number };

interface Case {
  readonly query: string;
  readonly expect: Expectation;
  readonly loose?: boolean;
  readonly itemType?: 'twin' | 'deviceJob' | 'raw';
  readonly note?: string;
}

const ALL_DEVICES = [
  'AZ3166Device',
  'device1',
  'device2',
  'gateway-01',
  'legacy-device',
  'myDeviceId',
  'sensor-eu-01',
  'sensor-eu-02',
  'sensor-us-01',
  'sensor-us-02',
  'test-device',
  'thermostat-01',
  'thermostat-02',
];

const ids = (...list: string[]): Expectation => ({ ids: list });
const rows = (...list: unknown[]): Expectation => ({ rows: list });
const error = (pattern: RegExp, position?: number): Expectation =>
  position === undefined ? { error: pattern } : { error: pattern, position };

const SECTION_5: readonly Case[] = [
  { query: 'SELECT * FROM devices', expect: ids(...ALL_DEVICES), itemType: 'twin', note: '[ref 5.5] every device twin' },
  {
    query: "SELECT * FROM devices WHERE tags.location.region = 'US'",
    expect: ids('myDeviceId', 'sensor-us-01', 'sensor-us-02'),
    note: '[docs] by tag',
  },
  {
    query:
      "SELECT * FROM devices WHERE tags.location.region = 'US' AND properties.reported.telemetryConfig.sendFrequencyInSecs >= 60",
    expect: ids('myDeviceId', 'sensor-us-02'),
    note: '[ref 5.5] tag and reported property',
  },
  {
    query: "SELECT * FROM devices WHERE properties.reported.connectivity IN ['wired', 'wifi']",
    expect: ids('AZ3166Device', 'sensor-eu-01', 'sensor-us-01'),
    note: '[ref 5.5] IN with an array constant',
  },
  {
    query: 'SELECT * FROM devices WHERE is_defined(properties.reported.connectivity)',
    expect: ids('AZ3166Device', 'gateway-01', 'myDeviceId', 'sensor-eu-01', 'sensor-eu-02', 'sensor-us-01', 'sensor-us-02'),
    note: '[ref 5.3] IS_DEFINED is true for null too (gateway-01)',
  },
  {
    query: "SELECT * FROM devices WHERE property.reported.connectivity IN ['wired', 'wifi']",
    expect: ids(),
    note: "[docs] the docs' typo `property.` names nothing, so nothing matches",
  },
  {
    query:
      'SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.telemetryConfig.status',
    expect: rows(
      { numberOfDevices: 7 },
      { status: 'Error', numberOfDevices: 1 },
      { status: 'Pending', numberOfDevices: 2 },
      { status: 'Success', numberOfDevices: 3 },
    ),
    itemType: 'raw',
    note: '[ref 5.4] GROUP BY; twins without the property form one group without the key [decision]',
  },
  {
    query: 'SELECT COUNT() AS totalNumberOfDevices FROM devices',
    expect: rows({ totalNumberOfDevices: 13 }),
    itemType: 'raw',
    note: '[ref 5.4]',
  },
  {
    query: "SELECT DeviceId, LastActivityTime FROM devices WHERE status='enabled' AND connectionState='Disconnected'",
    expect: rows(
      { deviceId: 'AZ3166Device', lastActivityTime: '2021-05-07T00:50:38.0543092Z' },
      { deviceId: 'device1', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'device2', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'legacy-device', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'myDeviceId', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'sensor-eu-02', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'test-device', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'thermostat-01', lastActivityTime: '0001-01-01T00:00:00Z' },
      { deviceId: 'thermostat-02', lastActivityTime: '0001-01-01T00:00:00Z' },
    ),
    itemType: 'raw',
    note: '[ref 5.1] system names match without case and come back canonical',
  },
  {
    query: 'SELECT * FROM devices WHERE properties.desired.$version = properties.reported.lastDesiredVersion',
    expect: ids('myDeviceId', 'sensor-us-01'),
    note: '[ref 5.1] $version in paths, path compared with path',
  },
  {
    query: "SELECT * FROM devices WHERE tags.[[group]].name = 'gateways'",
    expect: ids('gateway-01'),
    note: '[ref 5.1] escaped reserved word',
  },
  {
    query: "SELECT deviceId FROM devices WHERE configurations.[[my-config]].status = 'Applied'",
    expect: rows({ deviceId: 'sensor-eu-01' }),
    note: '[ref 4.6] ADM appliedCount metric',
  },
  {
    query: "select deviceId from devices where configurations.[[my-config]].status = 'Applied'",
    expect: rows({ deviceId: 'sensor-eu-01' }),
    note: '[ref 4.6] the systemMetrics query, lower-case keywords',
  },
  {
    query: "SELECT * FROM devices WHERE tags.environment='test'",
    expect: ids('device1', 'gateway-01', 'sensor-eu-01', 'sensor-eu-02'),
    note: '[ref 4.6] a targetCondition as a query',
  },
  {
    query: "SELECT * FROM devices WHERE deviceId IN ['device1','device2']",
    expect: ids('device1', 'device2'),
    note: "[ref 4.5] a job's queryCondition",
  },
  {
    query: "SELECT * FROM devices WHERE deviceId = 'test-device'",
    expect: ids('test-device'),
    note: "[ref 4.5] a job's queryCondition",
  },
  {
    query: "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId'",
    expect: ids('myDeviceId:myJobId', 'myDeviceId:reboot-1'),
    itemType: 'deviceJob',
    note: '[ref 5.5] jobs of one device',
  },
  {
    query:
      "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId' AND devices.jobs.jobType = 'scheduleUpdateTwin' AND devices.jobs.status = 'completed' AND devices.jobs.createdTimeUtc > '2016-09-01'",
    expect: ids('myDeviceId:myJobId'),
    note: '[ref 5.2] string comparison on dates; createdTimeUtc reads createdDateTimeUtc [decision]',
  },
  {
    query: "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'myJobId'",
    expect: ids('device1:myJobId', 'device2:myJobId', 'myDeviceId:myJobId'),
    note: '[ref 5.5] per-device outcomes of one job',
  },
  {
    query: "SELECT * FROM devices.modules WHERE properties.reported.status='scanning' AND deviceId IN ['device1','device2']",
    expect: ids('device1/scanner', 'device2/scanner'),
    itemType: 'twin',
    note: '[ref 5.5] module twins',
  },
  {
    query: "Select * from devices.modules where properties.reported.status = 'scanning'",
    expect: ids('device1/scanner', 'device2/scanner', 'gateway-01/scanner'),
    note: '[ref 5.1] mixed-case keywords',
  },
  {
    query: 'SELECT deviceId, moduleId FROM devices.modules',
    expect: rows(
      { deviceId: 'device1', moduleId: 'scanner' },
      { deviceId: 'device1', moduleId: 'uploader' },
      { deviceId: 'device2', moduleId: 'scanner' },
      { deviceId: 'gateway-01', moduleId: '$edgeAgent' },
      { deviceId: 'gateway-01', moduleId: '$edgeHub' },
      { deviceId: 'gateway-01', moduleId: 'scanner' },
    ),
    itemType: 'raw',
    note: '[ref 5.4] projections on devices.modules',
  },
  {
    query: "SELECT * FROM devices.modules WHERE devices.modules.moduleId = 'scanner'",
    expect: ids('device1/scanner', 'device2/scanner', 'gateway-01/scanner'),
    note: '[ref 5.1] collection-prefixed path',
  },
  {
    query: "SELECT * FROM devices WHERE devices.deviceId = 'device1'",
    expect: ids('device1'),
    note: '[ref 5.1] collection-prefixed path',
  },
  { query: 'SELECT * FROM devices WHERE capabilities.iotEdge = true', expect: ids('gateway-01'), note: '[ref 5.5]' },
  {
    query: "SELECT * FROM devices WHERE STARTSWITH(deviceId, 'sensor-us')",
    expect: ids('sensor-us-01', 'sensor-us-02'),
    note: '[ref 5.3] STARTSWITH works in twin queries',
  },
  {
    query: "SELECT * FROM devices WHERE ENDSWITH(deviceId, '-01')",
    expect: ids('gateway-01', 'sensor-eu-01', 'sensor-us-01', 'thermostat-01'),
    note: '[ref 5.3] ENDSWITH works in twin queries',
  },
  {
    query: "SELECT * FROM devices WHERE STARTS_WITH(deviceId, 'test')",
    expect: error(/STARTS_WITH is not a twin query function.*use STARTSWITH/, 29),
    note: '[ref 5.3] the service refuses STARTS_WITH',
  },
  { query: 'SELECT TOP 2 * FROM devices', expect: ids('AZ3166Device', 'device1'), note: '[ref 5.4] TOP' },
];

const NAMES: readonly Case[] = [
  {
    query: "SELECT deviceId FROM devices WHERE Tags.Location.Region = 'US'",
    expect: rows(),
    note: 'user keys under tags are case-sensitive',
  },
  { query: "SELECT deviceId FROM devices WHERE TAGS.location.region = 'us'", expect: rows({ deviceId: 'test-device' }) },
  {
    query: "SELECT deviceId FROM devices WHERE Properties.Reported.connectivity = 'wired'",
    expect: rows({ deviceId: 'sensor-eu-01' }),
  },
  {
    query: "SELECT deviceId FROM devices WHERE properties.reported.Connectivity = 'wifi'",
    expect: rows({ deviceId: 'test-device' }),
  },
  {
    query: "SELECT DEVICEID, ModelId FROM devices WHERE STATUS = 'disabled'",
    expect: rows({ deviceId: 'sensor-us-02', modelId: '' }),
  },
  {
    query: "SELECT properties.desired.$VERSION FROM devices WHERE deviceId = 'myDeviceId'",
    expect: rows({ $version: 4 }),
  },
  {
    query: "SELECT * FROM DEVICES WHERE CONNECTIONSTATE = 'Connected'",
    expect: ids('gateway-01', 'sensor-eu-01', 'sensor-us-01'),
  },
  {
    query: "SELECT deviceId, tags.location.plant FROM devices WHERE tags.location.region = 'EU'",
    expect: rows({ deviceId: 'sensor-eu-01', plant: 'Dublin' }, { deviceId: 'sensor-eu-02', plant: 'Dublin' }),
    note: 'without an alias the key is the last path segment',
  },
  {
    query:
      "SELECT deviceId AS id, properties.reported.telemetryConfig.status AS telemetry FROM devices WHERE tags.location.region = 'US'",
    expect: rows(
      { id: 'myDeviceId', telemetry: 'Success' },
      { id: 'sensor-us-01', telemetry: 'Success' },
      { id: 'sensor-us-02', telemetry: 'Error' },
    ),
  },
  {
    query: "SELECT deviceId, properties.reported.connectivity FROM devices WHERE tags.environment = 'test'",
    expect: rows(
      { deviceId: 'device1' },
      { deviceId: 'gateway-01', connectivity: null },
      { deviceId: 'sensor-eu-01', connectivity: 'wired' },
      { deviceId: 'sensor-eu-02', connectivity: 5 },
    ),
    note: 'a missing value leaves its key out; null stays',
  },
  {
    query: "SELECT properties.reported.connectivity FROM devices WHERE deviceId = 'myDeviceId'",
    expect: rows({ connectivity: { type: 'cellular' } }),
  },
  { query: "SELECT capabilities.IotEdge FROM devices WHERE deviceId = 'gateway-01'", expect: rows({ iotEdge: true }) },
  {
    query: "SELECT configurations.[[my-config]].Status AS s FROM devices WHERE deviceId = 'sensor-eu-02'",
    expect: rows({ s: 'Targeted' }),
  },
  { query: "SELECT tags.[[group]] FROM devices WHERE deviceId = 'gateway-01'", expect: rows({ group: { name: 'gateways' } }) },
  {
    query: "SELECT * FROM devices WHERE tags.group.name = 'gateways'",
    expect: error(/'group' is a reserved word - escape it as \[\[group\]\]/, 34),
  },
  { query: 'SELECT * FROM devices WHERE deviceId = "device1"', expect: ids('device1') },
  {
    query:
      "SELECT * FROM devices WHERE properties.desired.$metadata.$lastUpdated = '2024-03-01T10:00:00.0000000Z' AND deviceId = 'device1'",
    expect: ids('device1'),
  },
  { query: "SELECT * FROM devices WHERE version = 2 AND deviceId IN ['device1', 'myDeviceId']", expect: ids('device1') },
  {
    query: 'SELECT deviceId, status FROM devices WHERE deviceId = 5',
    expect: rows(),
    note: 'a number never equals a string id',
  },
  {
    query: "SELECT deviceId, tags.status, status FROM devices WHERE deviceId = 'device1'",
    expect: error(/two projections are named 'status'/, 31),
  },
];

const OPERATORS: readonly Case[] = [
  {
    query: "SELECT * FROM devices WHERE tags.location.region != 'US'",
    expect: ids('sensor-eu-01', 'sensor-eu-02', 'test-device'),
    note: '[ref 5.2] != is false for a missing property',
  },
  {
    query: "SELECT * FROM devices WHERE tags.location.region <> 'US'",
    expect: ids('sensor-eu-01', 'sensor-eu-02', 'test-device'),
  },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.telemetryConfig.sendFrequencyInSecs < 100',
    expect: ids('AZ3166Device', 'sensor-eu-01', 'sensor-us-01'),
  },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.telemetryConfig.sendFrequencyInSecs <= 60',
    expect: ids('AZ3166Device', 'sensor-eu-01', 'sensor-us-01'),
  },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.telemetryConfig.sendFrequencyInSecs > 60',
    expect: ids('myDeviceId', 'sensor-eu-02', 'sensor-us-02'),
  },
  {
    query: "SELECT * FROM devices WHERE lastActivityTime > '2021-01-01'",
    expect: ids('AZ3166Device', 'sensor-us-01'),
    note: '[ref 5.2] strings compare with < and >',
  },
  {
    query: "SELECT * FROM devices WHERE tags.location.region = 'EU' OR capabilities.iotEdge = true",
    expect: ids('gateway-01', 'sensor-eu-01', 'sensor-eu-02'),
  },
  {
    query: "SELECT * FROM devices WHERE NOT (tags.environment = 'test')",
    expect: ids('device2', 'sensor-us-01', 'sensor-us-02'),
    note: 'NOT of a missing comparison is not true',
  },
  { query: 'SELECT * FROM devices WHERE NOT IS_DEFINED(tags)', expect: ids('AZ3166Device', 'legacy-device') },
  {
    query: "SELECT * FROM devices WHERE tags.environment = 'test' AND tags.location.region = 'EU' OR deviceId = 'device2'",
    expect: ids('device2', 'sensor-eu-01', 'sensor-eu-02'),
    note: 'AND binds tighter than OR',
  },
  {
    query: "SELECT * FROM devices WHERE tags.environment = 'test' AND (tags.location.region = 'EU' OR deviceId = 'device2')",
    expect: ids('sensor-eu-01', 'sensor-eu-02'),
  },
  {
    query: "SELECT * FROM devices WHERE properties.reported.connectivity NIN ['wired', 'wifi']",
    expect: ids('sensor-us-02'),
    note: '[ref 5.1] NIN; objects, numbers and null are not compared with strings',
  },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.telemetryConfig.sendFrequencyInSecs / 60 = 5',
    expect: ids('myDeviceId', 'sensor-eu-02'),
  },
  {
    query:
      'SELECT * FROM devices WHERE properties.reported.telemetryConfig.sendFrequencyInSecs % 60 = 0 AND properties.reported.telemetryConfig.sendFrequencyInSecs * 2 > 200',
    expect: ids('myDeviceId', 'sensor-eu-02', 'sensor-us-02'),
  },
  { query: 'SELECT * FROM devices WHERE properties.reported.$version + properties.desired.$version = 11', expect: ids('myDeviceId') },
  { query: 'SELECT * FROM devices WHERE properties.desired.$version - 1 = 3', expect: ids('myDeviceId') },
  { query: 'SELECT * FROM devices WHERE properties.desired.$version = 0x4', expect: ids('myDeviceId'), note: 'hexadecimal constant' },
  { query: 'SELECT * FROM devices WHERE properties.reported.temperature = 21.5', expect: ids('thermostat-01') },
  { query: 'SELECT * FROM devices WHERE properties.reported.temperature > -10.5', expect: ids('thermostat-01') },
  { query: 'SELECT * FROM devices WHERE properties.reported.temperature < 2.2e1', expect: ids('thermostat-01') },
  {
    query: "SELECT * FROM devices WHERE tags.location.plant = 'Redmond\\u0034\\u0033'",
    expect: ids('myDeviceId', 'sensor-us-01'),
    note: '\\uXXXX escapes',
  },
  { query: "SELECT * FROM devices WHERE deviceId = 'it\\'s'", expect: ids(), note: "\\' escape" },
  { query: 'SELECT * FROM devices WHERE deviceId = "dev\\"ice"', expect: ids(), note: '\\" escape' },
  { query: "SELECT * FROM devices WHERE deviceId != 'a\\\\b' AND deviceId = 'device1'", expect: ids('device1'), note: '\\\\ escape' },
  { query: 'SELECT * FROM devices WHERE tags.floor IN [3, 4]', expect: ids('thermostat-01'), note: "the string '3' is not 3" },
  { query: "SELECT * FROM devices WHERE tags.floor IN ['3']", expect: ids('thermostat-02') },
  { query: 'SELECT * FROM devices WHERE properties.reported.connectivity = null', expect: ids('gateway-01') },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.connectivity != null',
    expect: ids(),
    note: '[decision] comparing a string or number with null is undefined, as in DocumentDB SQL',
  },
  {
    query: "SELECT * FROM devices WHERE capabilities.iotEdge = false AND tags.environment = 'prod'",
    expect: ids('device2', 'sensor-us-01', 'sensor-us-02'),
  },
  { query: 'SELECT * FROM devices WHERE tags.location = undefined', expect: ids(), note: 'nothing equals undefined' },
  { query: 'SELECT * FROM devices WHERE capabilities.iotEdge', expect: ids('gateway-01'), note: 'a Boolean property as the condition' },
  { query: "SELECT * FROM devices WHERE 'yes'", expect: ids(), note: '[ref 5.2] only Boolean true selects' },
  {
    query: "SELECT * FROM devices WHERE tags.rooms = ['a', 'b']",
    expect: ids(),
    note: '[ref 5.2] arrays are not compared',
  },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.connectivity = properties.reported.connectivity',
    expect: ids('AZ3166Device', 'gateway-01', 'sensor-eu-01', 'sensor-eu-02', 'sensor-us-01', 'sensor-us-02'),
    note: '[ref 5.2] only primitive values compare, so the object of myDeviceId does not equal itself',
  },
  { query: "SELECT * FROM devices WHERE tags.floor = '3'", expect: ids('thermostat-02') },
  { query: 'SELECT * FROM devices WHERE tags.floor > 2', expect: ids('thermostat-01') },
  {
    query: "SELECT deviceId FROM devices WHERE (tags.location.region NIN ['US']) = true",
    expect: rows({ deviceId: 'sensor-eu-01' }, { deviceId: 'sensor-eu-02' }, { deviceId: 'test-device' }),
    note: 'NIN as a value is the negation of IN',
  },
  {
    query: "SELECT deviceId FROM devices WHERE (tags.location.region NIN ['US']) = false",
    expect: rows({ deviceId: 'myDeviceId' }, { deviceId: 'sensor-us-01' }, { deviceId: 'sensor-us-02' }),
  },
  {
    query: "SELECT * FROM devices WHERE IS_BOOL(tags.location.region NIN ['US'])",
    expect: ids('myDeviceId', 'sensor-eu-01', 'sensor-eu-02', 'sensor-us-01', 'sensor-us-02', 'test-device'),
    note: 'NIN of a missing value is undefined, not a Boolean',
  },
  {
    query: 'SELECT * FROM devices WHERE capabilities.iotEdge IN [[true]]',
    expect: ids(),
    note: '[[true]] after IN is a nested array constant, not an escaped name; arrays never compare',
  },
  { query: 'SELECT * FROM devices WHERE capabilities.iotEdge IN [[false], [null], true]', expect: ids('gateway-01') },
  { query: 'SELECT * FROM devices WHERE capabilities.iotEdge NIN [[true]]', expect: ids(), note: 'NIN with an array item is never true' },
  { query: "SELECT * FROM devices WHERE tags.location.region IN ['EU', [[null]]]", expect: ids('sensor-eu-01', 'sensor-eu-02') },
  { query: 'SELECT * FROM devices WHERE properties.reported.temperature > - 10.5', expect: ids('thermostat-01'), note: 'a sign before a number literal' },
];

const FUNCTIONS: readonly Case[] = [
  { query: 'SELECT * FROM devices WHERE IS_NULL(properties.reported.connectivity)', expect: ids('gateway-01') },
  {
    query: "SELECT * FROM devices WHERE IS_BOOL(capabilities.iotEdge) AND tags.environment = 'prod'",
    expect: ids('device2', 'sensor-us-01', 'sensor-us-02'),
  },
  { query: 'SELECT * FROM devices WHERE IS_NUMBER(properties.reported.connectivity)', expect: ids('sensor-eu-02') },
  { query: 'SELECT * FROM devices WHERE IS_STRING(properties.reported.temperature)', expect: ids('thermostat-02') },
  { query: 'SELECT * FROM devices WHERE IS_OBJECT(properties.reported.connectivity)', expect: ids('myDeviceId') },
  { query: 'SELECT * FROM devices WHERE IS_ARRAY(tags.rooms)', expect: ids('thermostat-01') },
  {
    query: 'SELECT * FROM devices WHERE IS_PRIMITIVE(properties.reported.connectivity)',
    expect: ids('AZ3166Device', 'gateway-01', 'sensor-eu-01', 'sensor-eu-02', 'sensor-us-01', 'sensor-us-02'),
  },
  {
    query: 'SELECT * FROM devices WHERE AS_NUMBER(properties.reported.temperature) > 22 - 1',
    expect: ids('thermostat-01', 'thermostat-02'),
  },
  {
    query: "SELECT * FROM devices WHERE LOWER(tags.location.region) = 'us'",
    expect: ids('myDeviceId', 'sensor-us-01', 'sensor-us-02', 'test-device'),
  },
  {
    query: "SELECT * FROM devices WHERE UPPER(tags.location.region) = 'US'",
    expect: ids('myDeviceId', 'sensor-us-01', 'sensor-us-02', 'test-device'),
  },
  { query: 'SELECT * FROM devices WHERE LENGTH(deviceId) = 7', expect: ids('device1', 'device2') },
  {
    query: "SELECT * FROM devices WHERE CONCAT(tags.location.region, '-', tags.location.plant) = 'EU-Dublin'",
    expect: ids('sensor-eu-01', 'sensor-eu-02'),
  },
  {
    query: "SELECT * FROM devices WHERE SUBSTRING(deviceId, 0, 6) = 'sensor'",
    expect: ids('sensor-eu-01', 'sensor-eu-02', 'sensor-us-01', 'sensor-us-02'),
  },
  { query: "SELECT * FROM devices WHERE SUBSTRING(deviceId, 7) = 'us-01'", expect: ids('sensor-us-01') },
  { query: "SELECT * FROM devices WHERE INDEX_OF(deviceId, '-eu-') = 6", expect: ids('sensor-eu-01', 'sensor-eu-02') },
  {
    query: "SELECT * FROM devices WHERE CONTAINS(modelId, 'Thermostat')",
    expect: error(/CONTAINS was reported not to work in IoT Hub twin queries.*loose: true/, 29),
    note: '[ref 5.3] CONTAINS was reported not to work in twin queries',
  },
  { query: 'SELECT * FROM devices WHERE ABS(properties.reported.temperature - 22) < 1', expect: ids('thermostat-01') },
  { query: 'SELECT * FROM devices WHERE FLOOR(properties.reported.temperature) = 21', expect: ids('thermostat-01') },
  { query: 'SELECT * FROM devices WHERE CEILING(properties.reported.temperature) = 22', expect: ids('thermostat-01') },
  { query: 'SELECT * FROM devices WHERE SQRT(properties.desired.$version) = 2', expect: ids('myDeviceId') },
  { query: 'SELECT * FROM devices WHERE POWER(properties.desired.$version, 2) = 16', expect: ids('myDeviceId') },
  { query: 'SELECT * FROM devices WHERE SQUARE(properties.desired.$version) = 4', expect: ids('AZ3166Device') },
  { query: 'SELECT * FROM devices WHERE SIGN(properties.reported.temperature) = 1', expect: ids('thermostat-01') },
  { query: "SELECT * FROM devices WHERE EXP(0) = 1 AND deviceId = 'device1'", expect: ids('device1') },
  {
    query: "SELECT * FROM devices WHERE STARTSWITH(tags.floor, '3')",
    expect: ids('thermostat-02'),
    note: 'functions give undefined on arguments of the wrong type',
  },
  { query: 'SELECT * FROM devices WHERE FOO(deviceId)', expect: error(/unknown function 'FOO'/, 29) },
  { query: 'SELECT * FROM devices WHERE IS_DEFINED(tags, deviceId)', expect: error(/IS_DEFINED takes 1 argument, got 2/, 29) },
  { query: "SELECT * FROM devices WHERE ENDS_WITH(deviceId, '1')", expect: error(/ENDS_WITH is not a twin query function/, 29) },
];

const AGGREGATES: readonly Case[] = [
  { query: "SELECT COUNT() AS n FROM devices WHERE tags.location.region = 'US'", expect: rows({ n: 3 }) },
  { query: "SELECT COUNT() AS n FROM devices WHERE deviceId = 'nope'", expect: rows({ n: 0 }), note: 'an aggregate without GROUP BY always answers one row' },
  {
    query:
      'SELECT SUM(properties.reported.telemetryConfig.sendFrequencyInSecs) AS total, AVG(properties.reported.telemetryConfig.sendFrequencyInSecs) AS average, MIN(properties.reported.telemetryConfig.sendFrequencyInSecs) AS fastest, MAX(properties.reported.telemetryConfig.sendFrequencyInSecs) AS slowest FROM devices',
    expect: rows({ total: 870, average: 145, fastest: 30, slowest: 300 }),
  },
  {
    query:
      'SELECT tags.location.region AS region, COUNT() AS devices, SUM(properties.reported.telemetryConfig.sendFrequencyInSecs) AS total FROM devices WHERE IS_DEFINED(tags.location.region) GROUP BY tags.location.region',
    expect: rows({ region: 'EU', devices: 2, total: 360 }, { region: 'US', devices: 3, total: 450 }, { region: 'us', devices: 1, total: 0 }),
  },
  {
    query: 'SELECT tags.floor AS floor, COUNT() AS n FROM devices WHERE IS_DEFINED(tags.floor) GROUP BY tags.floor',
    expect: rows({ floor: 3, n: 1 }, { floor: '3', n: 1 }),
    note: '3 and "3" are different groups',
  },
  { query: 'SELECT status, COUNT() AS n FROM devices GROUP BY status', expect: rows({ status: 'disabled', n: 1 }, { status: 'enabled', n: 12 }) },
  {
    query: 'SELECT connectionState FROM devices GROUP BY connectionState',
    expect: rows({ connectionState: 'Connected' }, { connectionState: 'Disconnected' }),
  },
  {
    query: 'SELECT MIN(deviceId) AS first, MAX(deviceId) AS last FROM devices',
    expect: rows({ first: 'AZ3166Device', last: 'thermostat-02' }),
  },
  { query: "SELECT COUNT() FROM devices WHERE tags.environment = 'prod'", expect: rows({ $1: 3 }), note: '[decision] unnamed items are $1, $2, ...' },
  { query: 'SELECT COUNT() AS n FROM devices.modules', expect: rows({ n: 6 }) },
  {
    query: "SELECT tags.location AS location, COUNT() AS n FROM devices WHERE tags.location.region = 'EU' GROUP BY tags.location",
    expect: rows({ location: { region: 'EU', plant: 'Dublin' }, n: 2 }),
    note: 'objects group by value',
  },
  {
    query: 'SELECT capabilities.iotEdge AS edge, COUNT() AS n FROM devices GROUP BY capabilities.iotEdge',
    expect: rows({ edge: false, n: 12 }, { edge: true, n: 1 }),
  },
  {
    query: 'SELECT properties.reported.connectivity AS c, COUNT() AS n FROM devices GROUP BY properties.reported.connectivity',
    expect: rows(
      { n: 6 },
      { c: null, n: 1 },
      { c: 5, n: 1 },
      { c: 'cellular', n: 1 },
      { c: 'wifi', n: 2 },
      { c: 'wired', n: 1 },
      { c: { type: 'cellular' }, n: 1 },
    ),
    note: '[decision] groups order missing < null < booleans < numbers < strings < objects',
  },
  {
    query: 'SELECT MIN(properties.reported.connectivity) AS lo, MAX(properties.reported.connectivity) AS hi FROM devices',
    expect: rows({ lo: null, hi: 'wired' }),
    note: '[decision] MIN/MAX over primitives in that same order',
  },
  {
    query: 'SELECT SUM(properties.reported.temperature) AS s, AVG(properties.reported.temperature) AS a FROM devices',
    expect: rows({ s: 21.5, a: 21.5 }),
    note: "[decision] SUM and AVG skip non-numbers (thermostat-02 reports '22')",
  },
  {
    query: "SELECT SUM(tags.floor) AS s, AVG(tags.floor) AS a, MIN(tags.floor) AS lo FROM devices WHERE deviceId = 'legacy-device'",
    expect: rows({ s: 0 }),
    note: '[decision] with nothing to aggregate SUM is 0, AVG and MIN are left out',
  },
  {
    query: 'SELECT properties.reported.status AS status, COUNT() AS n FROM devices.modules GROUP BY properties.reported.status',
    expect: error(/GROUP BY is only supported on devices, not devices.modules/, 80),
    note: '[ref 5.4] GROUP BY works only on device twins',
  },
  { query: 'SELECT * FROM devices WHERE COUNT() > 1', expect: error(/COUNT\(\) is an aggregate.*not in WHERE/, 29) },
  {
    query: 'SELECT deviceId, COUNT() AS n FROM devices GROUP BY status',
    expect: error(/must be one of the GROUP BY paths/, 8),
  },
  { query: 'SELECT deviceId, COUNT() AS n FROM devices', expect: error(/can only select aggregates unless it has a GROUP BY/, 8) },
  { query: 'SELECT COUNT(*) AS n FROM devices', expect: error(/COUNT takes no argument/, 14) },
  { query: 'SELECT status, COUNT() AS n FROM devices GROUP BY status, connectionState', expect: error(/GROUP BY takes one property path/, 59) },
  { query: 'SELECT * FROM devices GROUP BY status', expect: error(/GROUP BY needs a projection list/, 23) },
];

const JOBS_CASES: readonly Case[] = [
  {
    query: 'SELECT * FROM devices.jobs',
    expect: ids('device1:myJobId', 'device1:reboot-1', 'device2:myJobId', 'myDeviceId:myJobId', 'myDeviceId:reboot-1'),
    itemType: 'deviceJob',
  },
  {
    query: "SELECT * FROM devices.jobs WHERE devices.jobs.jobType = 'scheduleDeviceMethod'",
    expect: ids('device1:reboot-1', 'myDeviceId:reboot-1'),
  },
  { query: 'SELECT * FROM devices.jobs WHERE outcome.deviceMethodResponse.status = 200', expect: ids('myDeviceId:reboot-1') },
  {
    query: "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'reboot-1' AND devices.jobs.deviceId = 'myDeviceId'",
    expect: rows({
      deviceId: 'myDeviceId',
      jobId: 'reboot-1',
      jobType: 'scheduleDeviceMethod',
      status: 'completed',
      startTimeUtc: '2016-09-29T18:18:52.7418462Z',
      endTimeUtc: '2016-09-29T18:20:52.7418462Z',
      createdDateTimeUtc: '2016-08-01T08:00:00.0000000Z',
      lastUpdatedDateTimeUtc: '2016-09-29T18:18:56.8894408Z',
      outcome: { deviceMethodResponse: { status: 200, payload: { rebooted: true } } },
    }),
    itemType: 'deviceJob',
  },
  { query: "SELECT * FROM devices.jobs WHERE error.code = 'DeviceNotOnline'", expect: ids('device1:myJobId') },
  { query: 'SELECT jobId FROM devices.jobs', expect: error(/devices.jobs queries support only SELECT \*/, 8), note: '[ref 5.5]' },
  { query: 'SELECT COUNT() AS n FROM devices.jobs', expect: error(/devices.jobs queries support only SELECT \*/, 8) },
  { query: 'SELECT * FROM devices.jobs WHERE tags.x = 1', expect: error(/devices.jobs has no field 'tags'/, 34) },
  { query: "SELECT * FROM devices.jobs WHERE properties.reported.x = 'y'", expect: error(/cannot reference twin properties/, 34) },
  { query: 'SELECT * FROM devices.jobs GROUP BY status', expect: error(/devices.jobs queries do not support GROUP BY/, 28) },
  { query: "SELECT * FROM devices WHERE devices.jobs.jobId = 'x'", expect: error(/refers to devices.jobs but the query reads devices/, 29) },
];

const SYNTAX: readonly Case[] = [
  {
    query: "SELECT * FROM devices WHERE deviceId = 'x' ORDER BY deviceId",
    expect: error(/Syntax error at position 44: unexpected token 'ORDER'/, 44),
    note: '[ref 5.1] no ORDER BY',
  },
  { query: 'SELECT * FROM devices JOIN devices.modules', expect: error(/JOIN is not supported/, 23), note: '[ref 5.1] no JOIN' },
  {
    query: `SELECT * FROM devices WHERE deviceId IN [${Array.from({ length: 1000 }, (_, i) => `'device-${i}'`).join(', ')}]`,
    expect: error(/the query is \d+ characters long - IoT Hub accepts at most 8192/, 8193),
    note: '[ref 3.1] 8192 characters',
  },
  { query: 'SELECT *', expect: error(/expected FROM after the SELECT list, found end of query/, 9) },
  { query: 'SELECT * FROM twins', expect: error(/unknown collection 'twins'/, 15) },
  { query: 'SELECT * FROM devices.configurations', expect: error(/unknown collection 'devices.configurations'/, 23) },
  { query: "SELECT * FROM devices WHERE deviceId = 'x", expect: error(/unterminated string/, 40) },
  { query: "SELECT * FROM devices WHERE deviceId == 'x'", expect: error(/unexpected '='/, 39) },
  { query: 'SELECT * FROM devices WHERE', expect: error(/unexpected end of query, expected an expression/, 28) },
  { query: 'SELECT * FROM devices;', expect: error(/unexpected semicolon/, 22) },
  { query: "SELECT * FROM devices WHERE deviceId IN 'a'", expect: error(/IN needs an array constant/, 41) },
  { query: 'SELECT * FROM devices WHERE version = 1 = 1', expect: error(/comparisons cannot be chained/, 41) },
  { query: "SELECT * FROM devices WHERE deviceId NOT IN ['a']", expect: error(/IoT Hub writes it NIN/, 38) },
  { query: 'SELECT TOP -1 * FROM devices', expect: error(/TOP takes a non-negative whole number/, 12) },
  { query: 'SELECT TOP 1e2 * FROM devices', expect: error(/TOP takes a non-negative whole number written in digits, found '1e2'/, 12) },
  { query: 'SELECT TOP 0x2 * FROM devices', expect: error(/TOP takes a non-negative whole number written in digits/, 12) },
  { query: 'SELECT TOP 2.0 * FROM devices', expect: error(/TOP takes a non-negative whole number written in digits/, 12) },
  { query: 'SELECT TOP 99999999999999999999 * FROM devices', expect: error(/TOP 99999999999999999999 is too large/, 12) },
  {
    query: 'SELECT * FROM devices WHERE properties.reported.temperature < 1e400',
    expect: error(/number '1e400' is out of range/, 63),
    note: 'a literal that is not a finite number is refused, not read as Infinity',
  },
  {
    query: "SELECT * FROM devices WHERE tags.location.region = 'US' --comment",
    expect: error(/comments are not supported/, 57),
    note: 'not two minus signs',
  },
  { query: "SELECT * FROM devices WHERE tags.location.region = 'US' /* only US */", expect: error(/comments are not supported/, 57) },
  { query: 'SELECT * FROM devices WHERE properties.desired.$version = 5--1', expect: error(/comments are not supported/, 60) },
  {
    query: 'SELECT * FROM devices WHERE -tags.floor = -3',
    expect: error(/a sign may only precede a number literal.*loose: true/, 29),
    note: '[ref 5.1] no unary operators in the grammar; a negative number is a constant',
  },
  { query: 'SELECT * FROM devices WHERE tags.floor = -(3)', expect: error(/a sign may only precede a number literal/, 42) },
  { query: 'SELECT * FROM devices d', expect: error(/collection aliases are not supported/, 23) },
  { query: "SELECT * FROM devices WHERE deviceId = 'a\\nb'", expect: error(/invalid escape sequence '\\n'/, 42) },
  { query: 'SELECT deviceId id FROM devices', expect: error(/write AS before an alias/, 17) },
  { query: 'SELECT * FROM devices WHERE tags.rooms[0] = 1', expect: error(/array indexing is not part/, 39) },
  { query: 'DELETE FROM devices', expect: error(/a query starts with SELECT/, 1) },
];

const LOOSE: readonly Case[] = [
  {
    query:
      "SELECT deviceId FROM devices WHERE tags.location.region = 'US' ORDER BY properties.reported.telemetryConfig.sendFrequencyInSecs DESC",
    loose: true,
    expect: rows({ deviceId: 'myDeviceId' }, { deviceId: 'sensor-us-02' }, { deviceId: 'sensor-us-01' }),
  },
  {
    query: "SELECT deviceId FROM devices WHERE tags.environment = 'test' ORDER BY tags.location.region ASC",
    loose: true,
    expect: rows({ deviceId: 'device1' }, { deviceId: 'gateway-01' }, { deviceId: 'sensor-eu-01' }, { deviceId: 'sensor-eu-02' }),
    note: 'missing values sort first, ties by key',
  },
  { query: "SELECT * FROM devices WHERE STARTS_WITH(deviceId, 'sensor-eu')", loose: true, expect: ids('sensor-eu-01', 'sensor-eu-02') },
  {
    query:
      "SELECT deviceId, properties.reported.telemetryConfig.sendFrequencyInSecs / 60 AS minutes FROM devices WHERE tags.location.region = 'US'",
    loose: true,
    expect: rows({ deviceId: 'myDeviceId', minutes: 5 }, { deviceId: 'sensor-us-01', minutes: 0.5 }, { deviceId: 'sensor-us-02', minutes: 2 }),
  },
  { query: "SELECT * FROM devices WHERE tags.environment NOT IN ['test', 'prod']", loose: true, expect: ids() },
  { query: "SELECT * FROM devices WHERE tags.group.name = 'gateways'", loose: true, expect: ids('gateway-01') },
  {
    query: 'SELECT properties.reported.status AS status, COUNT() AS n FROM devices.modules GROUP BY properties.reported.status',
    loose: true,
    expect: rows({ n: 2 }, { status: 'idle', n: 1 }, { status: 'scanning', n: 3 }),
  },
  { query: "SELECT * FROM devices WHERE deviceId = 'device1\\n'", loose: true, expect: ids() },
  { query: "SELECT * FROM devices WHERE CONTAINS(modelId, 'Thermostat')", loose: true, expect: ids('thermostat-01', 'thermostat-02') },
  { query: 'SELECT * FROM devices WHERE -tags.floor = -3', loose: true, expect: ids('thermostat-01') },
  { query: 'SELECT * FROM devices WHERE tags.floor = - -(3)', loose: true, expect: ids('thermostat-01') },
  {
    query: "SELECT deviceId, tags.location.region NIN ['US'] AS notUS FROM devices WHERE IS_DEFINED(tags.location.region)",
    loose: true,
    expect: rows(
      { deviceId: 'myDeviceId', notUS: false },
      { deviceId: 'sensor-eu-01', notUS: true },
      { deviceId: 'sensor-eu-02', notUS: true },
      { deviceId: 'sensor-us-01', notUS: false },
      { deviceId: 'sensor-us-02', notUS: false },
      { deviceId: 'test-device', notUS: true },
    ),
    note: 'NIN as a projected value',
  },
  {
    query: "SELECT deviceId, tags.location.region NIN ['US'] AS notUS FROM devices WHERE tags.environment = 'test'",
    loose: true,
    expect: rows({ deviceId: 'device1' }, { deviceId: 'gateway-01' }, { deviceId: 'sensor-eu-01', notUS: true }, { deviceId: 'sensor-eu-02', notUS: true }),
    note: 'NIN of a missing value is undefined, so the key is left out',
  },
];

const TABLE: ReadonlyArray<readonly [string, readonly Case[]]> = [
  ['section 5 of the reference and the tutorials', SECTION_5],
  ['names, paths and projections', NAMES],
  ['operators and constants', OPERATORS],
  ['functions', FUNCTIONS],
  ['aggregates and GROUP BY', AGGREGATES],
  ['devices.jobs', JOBS_CASES],
  ['syntax errors', SYNTAX],
  ['loose mode extensions', LOOSE],
];

function keyOf(item: unknown): string {
  const doc = item as { deviceId: string; moduleId?: string; jobId?: string };
  if (doc.jobId !== undefined) return `${doc.deviceId}:${doc.jobId}`;
  return doc.moduleId !== undefined ? `${doc.deviceId}/${doc.moduleId}` : doc.deviceId;
}

function runAll(engine: QueryEngine, query: string): { items: unknown[]; itemType: string } {
  const items: unknown[] = [];
  let continuation: string | undefined;
  let itemType = '';
  do {
    const page = engine.execute(query, { pageSize: 100, continuation });
    items.push(...page.items);
    itemType = page.itemType;
    continuation = page.continuation;
  } while (continuation !== undefined);
  return { items, itemType };
}

const strict = new QueryEngine(memorySources(), { secret: 'conformance' });
const loose = new QueryEngine(memorySources(), { secret: 'conformance', loose: true });

describe('the IoT Hub query language conformance table', () => {
  it('has at least 80 cases', () => {
    expect(TABLE.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(80);
  });

  for (const [section, cases] of TABLE) {
    describe(section, () => {
      for (const c of cases) {
        const title = c.query.length > 150 ? `${c.query.slice(0, 147)}...` : c.query;
        it(`${title}${c.note !== undefined ? ` (${c.note})` : ''}`, () => {
          const engine = c.loose === true ? loose : strict;
          if ('error' in c.expect) {
            let thrown: unknown;
            try {
              runAll(engine, c.query);
            } catch (e) {
              thrown = e;
            }
            expect(thrown).toBeInstanceOf(HubError);
            const hubError = thrown as HubError;
            expect(hubError.errorCode).toBe('InvalidQuery');
            expect(hubError.message).toMatch(c.expect.error);
            if (c.expect.position !== undefined) {
              expect(hubError.message).toContain(`at position ${c.expect.position}:`);
              expect(hubError.info.position).toBe(c.expect.position);
            }
            return;
          }
          const { items, itemType } = runAll(engine, c.query);
          if ('ids' in c.expect) expect(items.map(keyOf)).toEqual(c.expect.ids);
          else expect(items).toEqual(c.expect.rows);
          if (c.itemType !== undefined) expect(itemType).toBe(c.itemType);
        });
      }
    });
  }
});
