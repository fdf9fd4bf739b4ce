import { Router } from 'express';
import type { FaultService } from '../faults/fault-service.js';
import { param, parseBodyWith, parsedBody, sendJson } from '../http/route-kit.js';

/** The body as JSON; the fault service parses it (the one parser of a fault, shared with `hub.faults.add`). */
const jsonBody = (value: unknown): unknown => value;

/**
 * `/emulator/faults` (docs/testing-with-hubemu.md, "Faults"), mounted by `mountControlPlane` (owner only):
 * `POST` adds a fault (201 with it), `GET` lists them, `DELETE` clears all of them, `DELETE /{id}` one
 * (404 when there is none). Clearing releases paused desired notifications in order.
 */
export function faultsRouter(faults: Pick<FaultService, 'add' | 'list' | 'clear'>): Router {
  const router = Router();
  router.post('/faults', ...parseBodyWith(jsonBody), (req, res) => sendJson(res, 201, faults.add(parsedBody(jsonBody, req))));
  router.get('/faults', (_req, res) => sendJson(res, 200, faults.list()));
  router.delete('/faults', (_req, res) => sendJson(res, 200, { cleared: faults.clear() }));
  router.delete('/faults/:id', (req, res) => sendJson(res, 200, { cleared: faults.clear(param(req, 'id')) }));
  return router;
}
