import { Router } from 'express';
import { z } from 'zod';
import { HubError } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { ConfigurationService } from '../configurations/configuration-service.js';
import { ConfigurationBodySchema, TestQueriesBodySchema } from '../configurations/configuration-schemas.js';
import { bodyOf, ifMatchOf, param, parseBody, parseWith, requireAuth, ROUTE_PERMISSIONS, sendJson } from './route-kit.js';

export interface ConfigurationsRouterDeps {
  auth: SasAuthenticator;
  configurations: ConfigurationService;
}

const ListQuerySchema = z.object({
  top: z.coerce.number({ message: 'top must be a number' }).int('top must be an integer').min(1, 'top must be at least 1').optional(),
});

/**
 * Automatic device management (reference 4.6): `PUT /configurations/{id}` creates (201; 409 when it
 * exists) or, with `If-Match` (`"*"` or the etag), updates (200) what may change; `GET`, `DELETE`
 * (204), `GET /configurations?top=N`, and `POST /configurations/testQueries`.
 */
export function configurationsRouter({ auth, configurations }: ConfigurationsRouterDeps): Router {
  const router = Router();
  const allowed = requireAuth(auth, ROUTE_PERMISSIONS.configurations);

  router.get('/configurations', allowed, (req, res) => {
    const { top } = parseWith(ListQuerySchema, req.query, 'configurations query');
    sendJson(res, 200, configurations.list(top));
  });

  router.post('/configurations/testQueries', allowed, ...parseBody(TestQueriesBodySchema.optional(), 'testQueries body'), (req, res) => {
    sendJson(res, 200, configurations.testQueries(bodyOf(TestQueriesBodySchema.optional(), req) ?? {}));
  });

  router.put('/configurations/:id', allowed, ...parseBody(ConfigurationBodySchema.optional(), 'configuration'), (req, res) => {
    const body = bodyOf(ConfigurationBodySchema.optional(), req);
    if (body === undefined) throw new HubError('ArgumentNull', 'The configuration body is required.');
    const { configuration, created } = configurations.put(param(req, 'id'), body, ifMatchOf(req));
    sendJson(res, created ? 201 : 200, configuration);
  });

  router.get('/configurations/:id', allowed, (req, res) => {
    sendJson(res, 200, configurations.get(param(req, 'id')));
  });

  router.delete('/configurations/:id', allowed, (req, res) => {
    configurations.delete(param(req, 'id'), ifMatchOf(req));
    res.status(204).end();
  });

  return router;
}
