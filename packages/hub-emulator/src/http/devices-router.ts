import { Router, type Request } from 'express';
import { parseDeviceIdentityBody } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { RegistryService } from '../registry/registry-service.js';
import { applyBulk } from './bulk-devices.js';
import { BulkRequestSchema, ListDevicesQuerySchema } from './request-schemas.js';
import { committed, bodyOf, identityResource, ifMatchOf, param, parseBody, parseBodyWith, parsedBody, parseWith, requireAuth, ROUTE_PERMISSIONS, sendJson , type Units } from './route-kit.js';

export interface DevicesRouterDeps {
  auth: SasAuthenticator;
  registry: RegistryService;
  units: Units;
}

/**
 * Device identities (reference 4.2): `PUT/GET/DELETE /devices/{id}`, `GET /devices?top=N` and the
 * bulk `POST /devices`. PUT without If-Match creates (409 when the id exists), with If-Match updates.
 */
export function devicesRouter({ auth, registry, units }: DevicesRouterDeps): Router {
  const router = Router();
  // The list and the bulk request span the registry: a token for the whole hub.
  const read = requireAuth(auth, ROUTE_PERMISSIONS.registryRead);
  const write = requireAuth(auth, ROUTE_PERMISSIONS.registryWrite);
  // One device: a token scoped to `host/devices/{id}` (or `host/devices`) will do.
  const readOne = requireAuth(auth, ROUTE_PERMISSIONS.registryRead, identityResource());
  const writeOne = requireAuth(auth, ROUTE_PERMISSIONS.registryWrite, identityResource());

  router.get('/devices', read, (req, res) => {
    const { top } = parseWith(ListDevicesQuerySchema, { top: req.query.top }, 'query string');
    sendJson(res, 200, registry.listDevices(top));
  });

  router.post('/devices', write, ...parseBody(BulkRequestSchema, 'bulk request'), committed(units, (req, res) => {
    sendJson(res, 200, applyBulk(registry, bodyOf(BulkRequestSchema, req)));
  }));

  router.get('/devices/:deviceId', readOne, (req, res) => {
    sendJson(res, 200, registry.getDevice(param(req, 'deviceId')));
  });

  const deviceBody = (body: unknown, req: Request) => parseDeviceIdentityBody(param(req, 'deviceId'), body);
  router.put('/devices/:deviceId', writeOne, ...parseBodyWith(deviceBody), committed(units, (req, res) => {
    sendJson(res, 200, registry.putDevice(param(req, 'deviceId'), parsedBody(deviceBody, req), ifMatchOf(req)));
  }));

  router.delete('/devices/:deviceId', writeOne, committed(units, (req, res) => {
    registry.deleteDevice(param(req, 'deviceId'), ifMatchOf(req));
    res.status(204).end();
  }));

  return router;
}
