import { Router } from 'express';
import type { Fault } from '@hubemu/shared';
import { asyncRoute, param, parseBodyWith, parsedBody, sendJson } from '../http/route-kit.js';

/** What the routes need of the faults: the fault service, or on a hub of several processes its cluster-wide form (`ClusterControls.faults`). */
export interface FaultControls {
  add(input: unknown): Fault | Promise<Fault>;
  list(): Fault[];
  clear(id?: string): number | Promise<number>;
}

/** The body as JSON; the fault service parses it (the one parser of a fault, shared with `hub.faults.add`). */
const jsonBody = (value: unknown): unknown => value;

/**
 * `/emulator/faults` (docs/testing-with-hubemu.md, "Faults"), mounted by `mountControlPlane` (owner only):
 * `POST` adds a fault (201 with it), `GET` lists them, `DELETE` clears all of them, `DELETE /{id}` one
 * (404 when there is none). Clearing releases paused desired notifications in order.
 */
export function faultsRouter(faults: FaultControls): Router {
  const router = Router();
  router.post('/faults', ...parseBodyWith(jsonBody), asyncRoute(async (req, res) => sendJson(res, 201, await faults.add(parsedBody(jsonBody, req)))));
  router.get('/faults', (_req, res) => sendJson(res, 200, faults.list()));
  router.delete('/faults', asyncRoute(async (_req, res) => sendJson(res, 200, { cleared: await faults.clear() })));
  router.delete('/faults/:id', asyncRoute(async (req, res) => sendJson(res, 200, { cleared: await faults.clear(param(req, 'id')) })));
  return router;
}
