import { Router, type Request, type Response } from 'express';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { MethodService } from '../methods/method-service.js';
import { sendError } from './error-response.js';
import { MethodBodySchema } from './request-schemas.js';
import { bodyOf, identityResource, param, parseBody, requireAuth, ROUTE_PERMISSIONS, sendJson } from './route-kit.js';

export interface MethodsRouterDeps {
  auth: SasAuthenticator;
  methods: MethodService;
}

/**
 * Direct methods (reference 4.4): `POST /twins/{id}/methods` and `/twins/{id}/modules/{mid}/methods`.
 * 200 `{status, payload}` whatever status the device answered; 404103 when the device is offline or
 * not subscribed, 504101 when it does not answer in time, 404001 for an unknown device, 413001 for a
 * payload over 128 KB. Errors of the call itself carry both envelopes (see `sendError`).
 */
export function methodsRouter({ auth, methods }: MethodsRouterDeps): Router {
  const router = Router();
  // A method call on `/twins/{id}[/modules/{mid}]/methods` touches `devices/{id}[/modules/{mid}]`.
  const allowed = requireAuth(auth, ROUTE_PERMISSIONS.methods, identityResource());

  const invoke = async (req: Request, res: Response): Promise<void> => {
    const moduleId = req.params.moduleId === undefined ? undefined : param(req, 'moduleId');
    try {
      const result = await methods.invoke(param(req, 'deviceId'), moduleId, bodyOf(MethodBodySchema, req));
      sendJson(res, 200, { status: result.status, payload: result.payload });
    } catch (error) {
      sendError(res, error, 'method');
    }
  };

  for (const path of ['/twins/:deviceId/methods', '/twins/:deviceId/modules/:moduleId/methods']) {
    router.post(path, allowed, ...parseBody(MethodBodySchema, 'method request'), invoke);
  }

  return router;
}
