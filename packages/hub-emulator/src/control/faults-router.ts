import { Router } from 'express';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { FaultService } from '../faults/fault-service.js';
import { param, parseBodyWith, parsedBody, requireAuth, ROUTE_PERMISSIONS, sendJson } from '../http/route-kit.js';

export interface FaultsRouterDeps {
  auth: SasAuthenticator;
  faults: FaultService;
}

/** The body as JSON; the fault service parses it (the one parser of a fault, shared with `hub.faults.add`). */
const jsonBody = (value: unknown): unknown => value;

/**
 * `/emulator/faults` (docs/testing-with-hubemu.md, "Faults"), for a policy with every permission:
 * `POST` adds a fault (201 with it), `GET` lists them, `DELETE` clears all of them, `DELETE /{id}` one
 * (404 when there is none). Clearing releases paused desired notifications in order.
 */
export function faultsRouter({ auth, faults }: FaultsRouterDeps): Router {
  const router = Router();
  const allowed = requireAuth(auth, ROUTE_PERMISSIONS.control);
  router.post('/emulator/faults', allowed, ...parseBodyWith(jsonBody), (req, res) => sendJson(res, 201, faults.add(parsedBody(jsonBody, req))));
  router.get('/emulator/faults', allowed, (_req, res) => sendJson(res, 200, faults.list()));
  router.delete('/emulator/faults', allowed, (_req, res) => sendJson(res, 200, { cleared: faults.clear() }));
  router.delete('/emulator/faults/:id', allowed, (req, res) => sendJson(res, 200, { cleared: faults.clear(param(req, 'id')) }));
  return router;
}
