import type { Express } from 'express';
import type { Clock } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { MethodService } from '../methods/method-service.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { TwinService } from '../twin/twin-service.js';

/** What the REST service API routes call. Routes never touch a store. */
export interface ServiceApiDeps {
  auth: SasAuthenticator;
  registry: RegistryService;
  twins: TwinService;
  methods: MethodService;
  clock: Clock;
}

/** Mounts the IoT Hub service REST API (reference section 4). */
export function mountServiceApi(_app: Express, _deps: ServiceApiDeps): void {}
