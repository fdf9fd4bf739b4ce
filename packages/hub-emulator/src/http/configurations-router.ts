import { Router } from 'express';
import { z } from 'zod';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { ConfigurationService } from '../configurations/configuration-service.js';
import { parseConfigurationBody, parseTestQueriesBody } from '../configurations/configuration-schemas.js';
import { committed, ifMatchOf, param, parseBodyWith, parsedBody, parseWith, requireAuth, ROUTE_PERMISSIONS, sendJson , type Units } from './route-kit.js';

export interface ConfigurationsRouterDeps {
  auth: SasAuthenticator;
  configurations: ConfigurationService;
  units: Units;
}

const ListQuerySchema = z.object({
  top: z.coerce.number({ message: 'top must be a number' }).int('top must be an integer').min(1, 'top must be at least 1').optional(),
});

/**
 * Automatic device management (reference 4.6): `PUT /configurations/{id}` creates (201; 409 when it
 * exists) or, with `If-Match` (`"*"` or the etag), updates (200) what may change; `GET`, `DELETE`
 * (204), `GET /configurations?top=N`, and `POST /configurations/testQueries`.
 */
export function configurationsRouter({ auth, configurations, units }: ConfigurationsRouterDeps): Router {
  const router = Router();
  const allowed = requireAuth(auth, ROUTE_PERMISSIONS.configurations);

  router.get('/configurations', allowed, (req, res) => {
    const { top } = parseWith(ListQuerySchema, req.query, 'configurations query');
    sendJson(res, 200, configurations.list(top));
  });

  router.post('/configurations/testQueries', allowed, ...parseBodyWith(parseTestQueriesBody), (req, res) => {
    sendJson(res, 200, configurations.testQueries(parsedBody(parseTestQueriesBody, req)));
  });

  router.put('/configurations/:id', allowed, ...parseBodyWith(parseConfigurationBody), committed(units, (req, res) => {
    const { configuration, created } = configurations.put(param(req, 'id'), parsedBody(parseConfigurationBody, req), ifMatchOf(req));
    sendJson(res, created ? 201 : 200, configuration);
  }));

  router.get('/configurations/:id', allowed, (req, res) => {
    sendJson(res, 200, configurations.get(param(req, 'id')));
  });

  router.delete('/configurations/:id', allowed, committed(units, (req, res) => {
    configurations.delete(param(req, 'id'), ifMatchOf(req));
    res.status(204).end();
  }));

  return router;
}
