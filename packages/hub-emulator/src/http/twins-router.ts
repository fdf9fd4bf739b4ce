import { Router, type Request, type Response } from 'express';
import { parseServiceTwinBody } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { TwinService } from '../twin/twin-service.js';
import { committed, identityResource, ifMatchOf, param, parseBodyWith, parsedBody, requireAuth, ROUTE_PERMISSIONS, sendJson, type Units } from './route-kit.js';

export interface TwinsRouterDeps {
  auth: SasAuthenticator;
  twins: TwinService;
  units: Units;
}

const TWIN_PATHS = ['/twins/:deviceId', '/twins/:deviceId/modules/:moduleId'];

function moduleIdOf(req: Request): string | undefined {
  return req.params.moduleId === undefined ? undefined : param(req, 'moduleId');
}

/**
 * Device and module twins (reference 2.4, 4.2): GET, PATCH (deep merge, null deletes) and PUT
 * (replaces the tags and desired sections the body carries). `If-Match` takes a quoted etag or `"*"`;
 * a stale etag is 412 PreconditionFailed and changes nothing. Every desired change reaches a connected
 * device through the twin service's `twinUpdated` event.
 */
export function twinsRouter({ auth, twins, units }: TwinsRouterDeps): Router {
  const router = Router();
  // `/twins/{id}[/modules/{mid}]` is the resource `devices/{id}[/modules/{mid}]`, as in the service's URIs.
  const read = requireAuth(auth, ROUTE_PERMISSIONS.twinRead, identityResource());
  const write = requireAuth(auth, ROUTE_PERMISSIONS.twinWrite, identityResource());

  const parsePatch = (body: unknown) => parseServiceTwinBody(body, 'patch');
  const parseReplacement = (body: unknown) => parseServiceTwinBody(body, 'replace');
  const update = (mode: 'patch' | 'replace') => (req: Request, res: Response) => {
    const body = parsedBody(parsePatch, req);
    const ifMatch = ifMatchOf(req);
    const twin = twins.updateTwin(param(req, 'deviceId'), moduleIdOf(req), body, mode, { source: 'service', ...(ifMatch === undefined ? {} : { ifMatch }) });
    sendJson(res, 200, twin);
  };

  for (const path of TWIN_PATHS) {
    router.get(path, read, (req, res) => {
      sendJson(res, 200, twins.getTwin(param(req, 'deviceId'), moduleIdOf(req)));
    });
    router.patch(path, write, ...parseBodyWith(parsePatch), committed(units, update('patch')));
    router.put(path, write, ...parseBodyWith(parseReplacement), committed(units, update('replace')));
  }

  return router;
}
