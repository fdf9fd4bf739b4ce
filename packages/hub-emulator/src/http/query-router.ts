import { Router } from 'express';
import { z } from 'zod';
import { HubError, LIMITS } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { QueryService } from '../query-service.js';
import { asyncRoute, bodyOf, parseBody, requireAuth, ROUTE_PERMISSIONS, sendJson } from './route-kit.js';

export interface QueryRouterDeps {
  auth: SasAuthenticator;
  query: QueryService;
}

const QueryBodySchema = z.strictObject({ query: z.string({ error: 'query must be a string' }) });

/** `x-ms-max-item-count`: 1..100 (larger values are served as 100); absent means 100. */
function pageSizeOf(header: string | undefined): number {
  if (header === undefined || header.trim() === '') return LIMITS.queryPageSize;
  if (!/^\d+$/.test(header.trim()) || Number(header) < 1) {
    throw new HubError('ArgumentInvalid', `x-ms-max-item-count must be a positive integer, not '${header}'.`);
  }
  return Math.min(Number(header), LIMITS.queryPageSize);
}

/**
 * `POST /devices/query` (reference 4.3): body `{"query": "..."}`, a bare JSON array of items,
 * `x-ms-item-type`, and `x-ms-continuation` only while more pages remain (the Node SDK loops while
 * the header exists).
 */
export function queryRouter({ auth, query }: QueryRouterDeps): Router {
  const router = Router();
  router.post('/devices/query', requireAuth(auth, ROUTE_PERMISSIONS.query), ...parseBody(QueryBodySchema, 'query body'), asyncRoute(async (req, res) => {
    const body = bodyOf(QueryBodySchema, req);
    await query.catchUp();
    const continuation = req.get('x-ms-continuation');
    const page = query.execute(body.query, {
      pageSize: pageSizeOf(req.get('x-ms-max-item-count')),
      ...(continuation ? { continuation } : {}),
    });
    res.setHeader('x-ms-item-type', page.itemType);
    if (page.continuation !== undefined) res.setHeader('x-ms-continuation', page.continuation);
    sendJson(res, 200, page.items);
  }));
  return router;
}
