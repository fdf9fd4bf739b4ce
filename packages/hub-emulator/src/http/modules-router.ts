import { Router, type Request } from 'express';
import { parseModuleIdentityBody } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { RegistryService } from '../registry/registry-service.js';
import { committed, identityResource, ifMatchOf, param, parseBodyWith, parsedBody, requireAuth, ROUTE_PERMISSIONS, sendJson, type Units } from './route-kit.js';

export interface ModulesRouterDeps {
  auth: SasAuthenticator;
  registry: RegistryService;
  units: Units;
}

/**
 * Module identities (reference 4.2): `PUT/GET/DELETE /devices/{id}/modules/{mid}` and
 * `GET /devices/{id}/modules`. PUT answers 201 when it created the module and 200 when it updated it.
 */
export function modulesRouter({ auth, registry, units }: ModulesRouterDeps): Router {
  const router = Router();
  // Tokens scoped to the device (or the module) will do: resources are `devices/{id}[/modules/{mid}]`.
  const read = requireAuth(auth, ROUTE_PERMISSIONS.registryRead, identityResource());
  const write = requireAuth(auth, ROUTE_PERMISSIONS.registryWrite, identityResource());
  const list = requireAuth(auth, ROUTE_PERMISSIONS.registryRead, identityResource('modules'));

  router.get('/devices/:deviceId/modules', list, (req, res) => {
    sendJson(res, 200, registry.listModules(param(req, 'deviceId')));
  });

  router.get('/devices/:deviceId/modules/:moduleId', read, (req, res) => {
    sendJson(res, 200, registry.getModule(param(req, 'deviceId'), param(req, 'moduleId')));
  });

  const moduleBody = (body: unknown, req: Request) => parseModuleIdentityBody(param(req, 'moduleId'), body);
  router.put('/devices/:deviceId/modules/:moduleId', write, ...parseBodyWith(moduleBody), committed(units, (req, res) => {
    const { module, created } = registry.putModule(param(req, 'deviceId'), param(req, 'moduleId'), parsedBody(moduleBody, req), ifMatchOf(req));
    sendJson(res, created ? 201 : 200, module);
  }));

  router.delete('/devices/:deviceId/modules/:moduleId', write, committed(units, (req, res) => {
    registry.deleteModule(param(req, 'deviceId'), param(req, 'moduleId'), ifMatchOf(req));
    res.status(204).end();
  }));

  return router;
}
