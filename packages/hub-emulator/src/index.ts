export { startHub, type Hub } from './hub.js';
export type { Controls } from './control/controls.js';
export { routeAzureIotHubSdkTo } from './azure-iothub-route.js';
export type { HubPorts } from './listeners.js';
export type { EventHubView } from './hub-facade.js';
export type { EventHubLog, EventPosition, HubEvent, MessageSource, PartitionInfo } from './event-hub/event-hub-types.js';
export type { ClockControl } from './control/clock-control.js';
export { ManualClock, type ClockMode, type ClockState, type HubClock } from '@hubemu/shared';
export type { DashboardStatus } from './dashboard/dashboard-status.js';
export { EVENT_STREAM_MAX_CLIENTS, EVENT_STREAM_MAX_PENDING_BYTES } from './dashboard/event-stream.js';
export { parseHubOptions, HubOptionsSchema, type HubOptions, type HubOptionsInput } from '@hubemu/shared';
export { HubEvents, type FaultAppliedEvent, type HubEventMap, type Plane, type RequestEvent, type TwinUpdatedEvent, type TelemetryMessage, type ConnectionAuth, type WriteSource } from './events.js';
export { type Logger, silentLogger } from '@hubemu/shared';
export { SeedSchema, parseSeed, type Seed, type SeedInput } from './seed.js';
export { readSeedFile } from './seed-file.js';
export { DocumentError, parseDocumentText, validateDocument } from './document-file.js';
// The control plane's wire shapes (`/emulator/`), from the package hub and clients share.
export type { ResetResult, TrafficFilter, TrafficPage, TrafficRecord } from '@hubemu/shared';
export { loadOrCreateCertificates, type TlsMaterial } from './certs.js';
export type { MethodResult } from './methods/method-service.js';
export { MethodRequestSchema, parseMethodRequest, type MethodRequest } from '@hubemu/shared';
export type { Store, Collection } from './store/collection.js';
export { MemoryStore } from './store/memory-store.js';
export { DurableStore, type DurableStoreOptions } from './store/durable-store.js';
export { StateCorruptError, type StoreNotice } from './store/store-notice.js';
export { QueryService } from './query-service.js';
export { parseQuery, parseCondition, compileCondition, QueryEngine, type QueryPage, type QueryPageRequest, type QueryAst, type ConditionAst } from './query/index.js';
export { JobService, type JobServiceOptions, type JobQuery, type JobPage } from './jobs/job-service.js';
export { JobRequestSchema, type JobRequest } from './jobs/job-schemas.js';
export { parseJobRequest } from './jobs/job-request.js';
export { FaultDefinitionSchema, parseFaultDefinition, type Fault, type FaultDefinition, type FaultDefinitionInput } from '@hubemu/shared';
export { tierThrottles, type ThrottleClass, type ThrottleRate } from './faults/tier-throttles.js';
export { resolveServiceLimits, tierLimits, type HubTier, type ServiceLimits } from './jobs/service-limits.js';
export { ConfigurationService, type ConfigurationServiceOptions } from './configurations/configuration-service.js';
export {
  ConfigurationBodySchema,
  parseConfigurationBody,
  parseTestQueriesBody,
  TestQueriesBodySchema,
  type ConfigurationBody,
} from './configurations/configuration-schemas.js';
// The wire types the services answer with, from the package hub and clients share.
export type {
  Configuration,
  ConfigurationMetrics,
  DeviceJobRecord,
  DeviceJobStatistics,
  JobResponse,
  JobStatus,
  JobType,
  TestQueriesResult,
  Twin,
} from '@hubemu/shared';
export { C2dService } from './c2d/c2d-service.js';
export { C2dSendRequestSchema, parseC2dSendRequest, type C2dSendRequest } from './c2d/c2d-send-request.js';
export type { C2dAck, C2dLockedMessage, C2dMessage, C2dSendInput, C2dSendSide, FeedbackBatch, FeedbackQueue, FeedbackRecord, FeedbackStatus } from './c2d/c2d-types.js';
