export { ServiceClient, ServiceClientOptionsSchema, type ServiceClientOptions } from './service-client.js';
export { ServiceError, isServiceError, serviceErrorFromResponse } from './service-error.js';
export { parseServiceConnectionString, ServiceConnectionStringSchema, type ServiceCredentials } from './connection-string.js';
export { DevicesApi, type DeviceInput, type BulkDevice, type ImportMode } from './devices-api.js';
export { ModulesApi, type ModuleInput } from './modules-api.js';
export { TwinsApi, type TwinUpdate, type TwinTarget, type TwinWriteOptions } from './twins-api.js';
export { MethodsApi, type MethodCall } from './methods-api.js';
export { QueryApi, type QueryOptions, type QueryPage } from './query-api.js';
export { JobsApi, type JobSchedule, type TwinUpdateJob, type DeviceMethodJob, type JobListOptions, type JobWaitOptions } from './jobs-api.js';
export { JobResponseSchema } from './job-response.js';
export { ConfigurationsApi, configurationInputOf, type ConfigurationInput, type TestQueriesInput } from './configurations-api.js';
export { ConfigurationResponseSchema } from './configuration-response.js';
export { EmulatorApi } from './emulator-api.js';
export { RestClient, pathOf, quoteEtag, DEFAULT_API_VERSION, type RestRequest, type RestResponse, type RestClientOptions } from './rest-client.js';
export { SasTokenProvider } from './sas-token-provider.js';
export type { BulkResult, DeviceStatistics, MethodResult, PurgeResult } from './responses.js';
/** One row of `SELECT * FROM devices.jobs`: what a job did on one device. */
// The wire types a caller of this client reads, from the package both sides share.
export {
  FINAL_JOB_STATUSES,
  isFinalJobStatus,
  type Configuration,
  type ConfigurationContent,
  type ConfigurationMetrics,
  type DeviceJobRecord,
  type DeviceJobStatistics,
  type DeviceJobStatus,
  type JobResponse,
  type JobStatus,
  type JobTwinPatch,
  type JobType,
  type ResetResult,
  type TestQueriesResult,
  type TrafficFilter,
  type TrafficPage,
  type TrafficRecord,
} from '@hubemu/shared';
