import { Router, type Request, type Response } from 'express';
import { parseMethodRequest } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { MethodService } from '../methods/method-service.js';
import { sendError } from './error-response.js';
import { identityResource, param, parseBodyWith, parsedBody, requireAuth, ROUTE_PERMISSIONS, sendJson } from './route-kit.js';

export interface MethodsRouterDeps {
  auth: SasAuthenticator;
  methods: MethodService;
}

/** The JSON body as it came: the method request is parsed inside the call (see below). */
const jsonBody = (value: unknown): unknown => value;

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
      // Parsed here, not in a middleware, so a bad request carries the method call's envelopes too.
      const result = await methods.invoke(param(req, 'deviceId'), moduleId, parseMethodRequest(parsedBody(jsonBody, req)));
      sendJson(res, 200, { status: result.status, payload: result.payload });
    } catch (error) {
      sendError(res, error, 'method');
    }
  };

  for (const path of ['/twins/:deviceId/methods', '/twins/:deviceId/modules/:moduleId/methods']) {
    router.post(path, allowed, ...parseBodyWith(jsonBody), invoke);
  }

  return router;
}
