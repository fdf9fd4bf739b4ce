// @hubemu/device-agent: a typed IoT Hub device client over MQTT, simulated device behaviours and the
// fleet simulator. Named exports only; everything here is public API.

// Device client
export { DeviceClient } from './client/device-client.js';
export type {
  ConnectInfo,
  DeviceClientEvents,
  DeviceClientOptions,
  DisconnectInfo,
  DisconnectReason,
  RestartOptions,
} from './client/device-client.js';
export { DeviceClientConfigSchema, ReconnectOptionsSchema, TransportSchema, DEFAULT_PORTS } from './client/client-options.js';
export type { DeviceClientConfig, ReconnectOptions, Transport } from './client/client-options.js';
export { userAgent } from './client/connect-fields.js';
// The CONNECT grammar lives in shared (the hub parses what the agent builds); kept here under the agent's names.
export { MQTT_API_VERSION as API_VERSION, MQTT_WEBSOCKET_PATH as WEBSOCKET_PATH, mqttClientId, mqttUsername } from '@hubemu/shared';
export { DeviceTwin } from './client/device-twin.js';
export type { DeviceTwinEvents, DeviceTwinOptions, ReportedPatchOptions, RequestOptions, TwinChannel } from './client/device-twin.js';
export { TwinSyncState } from './client/twin-sync-state.js';
export type { DesiredChange, DesiredVerdict } from './client/twin-sync-state.js';
export type { DesiredPatch, TwinDocument, VersionedSection } from './client/twin-messages.js';
export { ANY_METHOD } from './client/method-router.js';
export type { MethodHandler, MethodRequest, MethodResult } from './client/method-router.js';
export type { C2dDelivery } from './client/c2d-delivery.js';
export { MAX_TELEMETRY_BYTES } from './client/telemetry.js';
export type { TelemetryBody } from './client/telemetry.js';
export { createTrafficCounters } from './client/traffic.js';
export type { TrafficCounters } from './client/traffic.js';
export { connectWithMqttJs } from './client/mqtt-connection.js';
export type { MqttConnectParams, MqttConnection, MqttConnector } from './client/mqtt-connection.js';
export { applyMergePatch } from '@hubemu/shared';

// Errors and logging
export { DeviceClientError, isDeviceClientError, describeFailure } from './errors.js';
export type { DeviceClientErrorDetails, DeviceClientErrorKind } from './errors.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';

// Time and randomness
export { delay } from './scheduler/scheduler.js';
export type { Scheduler, TimerHandle } from './scheduler/scheduler.js';
export { createSharedScheduler, defaultScheduler } from './scheduler/shared-scheduler.js';
export type { SharedScheduler, SharedSchedulerOptions } from './scheduler/shared-scheduler.js';
export { ManualScheduler, flushAsyncWork } from './scheduler/manual-scheduler.js';
export { createRandom, deriveSeed, jittered } from './scheduler/random.js';
export type { Random } from './scheduler/random.js';

// Behaviours
export type { Behaviour, BehaviourContext, BehaviourDevice, DesiredHandler, DesiredOutcome } from './behaviours/behaviour.js';
export { SimulatedDevice } from './behaviours/simulated-device.js';
export type { SimulatedDeviceEvents, SimulatedDeviceOptions } from './behaviours/simulated-device.js';
export type { ConvergenceRecord } from './behaviours/desired-dispatcher.js';
export { reboot } from './behaviours/reboot.js';
export type { RebootOptions, RebootStatus } from './behaviours/reboot.js';
export { factoryReset } from './behaviours/factory-reset.js';
export type { FactoryResetOptions, FactoryResetStatus } from './behaviours/factory-reset.js';
export { telemetryConfig } from './behaviours/telemetry-config.js';
export type { ReportedTelemetryConfig, TelemetryConfigOptions, TelemetryConfigStatus } from './behaviours/telemetry-config.js';
export { firmwareUpdate, readFirmwareRequest } from './behaviours/firmware-update.js';
export type { FirmwareRequest, FirmwareStageDurations, FirmwareUpdateOptions, FwUpdateStatus, ReportedFirmware } from './behaviours/firmware-update.js';
export { periodicTelemetry } from './behaviours/periodic-telemetry.js';
export type { PeriodicTelemetryOptions, TelemetrySample } from './behaviours/periodic-telemetry.js';
export { parseDuration } from './behaviours/durations.js';
export { FakeDevice } from './testing/fake-device.js';
export type { FakeDeviceOptions, FakeMethodResult } from './testing/fake-device.js';

// Fleet simulator
export { runFleet, startFleet } from './fleet/run-fleet.js';
export type { Fleet, FleetClientOptions, FleetDeviceEvent, FleetOptions, RunFleetOptions } from './fleet/run-fleet.js';
export { fleetDeviceIds, planFleet } from './fleet/fleet-plan.js';
export type { FleetCredentials, FleetGroup, PlannedDevice } from './fleet/fleet-plan.js';
export type { FleetFailure, FleetReport } from './fleet/fleet-report.js';
export { ReasonCounter, percentile, summarize } from './fleet/latency.js';
export type { LatencySummary } from './fleet/latency.js';
export { DEVICE_MODELS, modelBehaviours, thermostatTelemetry } from './fleet/models.js';
