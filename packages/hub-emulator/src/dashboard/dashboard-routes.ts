import { join } from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { HubError, signSasToken, type AccessPolicy } from '@hubemu/shared';
import type { SasAuthenticator, ServicePrincipal } from '../auth/sas-authenticator.js';
import type { HubEvents } from '../events.js';
import { asyncRoute, parseBody, bodyOf, requireAuth, ROUTE_PERMISSIONS, sendJson } from '../http/route-kit.js';
import type { Clock } from '@hubemu/shared';
import type { ClusterEvents } from '../cluster/cluster-events.js';
import { EventStreams } from './event-stream.js';
import type { LoginTokens } from './login-tokens.js';
import type { DashboardFiles } from './static-dir.js';

/** How long the SAS token a login is exchanged for stays valid. */
export const DASHBOARD_SESSION_SECONDS = 12 * 60 * 60;

/** The page's own rules: its scripts and styles come from the hub, it talks only to the hub. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const SessionBodySchema = z.object({ login: z.string().min(1).max(256) }).strict();

export interface DashboardDeps {
  files: DashboardFiles;
  logins: LoginTokens;
  auth: SasAuthenticator;
  events: HubEvents;
  clock: Clock;
  hostName: string;
  policies: readonly AccessPolicy[];
  /** On a hub of several processes: the other processes' live events (docs/scale-out.md). */
  shared?: ClusterEvents;
}

/** The policy a banner login speaks for: the one with the most permissions (iothubowner with the well-known set). */
function ownerPolicy(policies: readonly AccessPolicy[]): AccessPolicy | undefined {
  return [...policies].sort((a, b) => b.permissions.length - a.permissions.length)[0];
}

/**
 * The dashboard's routes. `/` serves the built page and `/dashboard/assets/` its files; `POST
 * /dashboard/session` exchanges a one-time login token for a SAS token of the owner policy (the page
 * then calls the REST API like any client); `GET /dashboard/events` is the live event stream,
 * authorised like a query (ServiceConnect or RegistryRead).
 */
export function dashboardRouter(deps: DashboardDeps): Router {
  const router = Router();
  const streams = new EventStreams(deps.events, deps.shared);
  const sendPage = (_req: Request, res: Response): void => {
    if (!deps.files.built) throw new HubError('NotFound', 'The dashboard is not built: run `npm run build` (or `npm run build -w packages/dashboard`).');
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(join(deps.files.dir, 'index.html'));
  };
  router.get('/', sendPage);
  router.get('/dashboard/', sendPage);
  if (deps.files.built) router.use('/dashboard/assets', express.static(join(deps.files.dir, 'assets'), { fallthrough: true, index: false, immutable: true, maxAge: '1y' }));

  router.post(
    '/dashboard/session',
    ...parseBody(SessionBodySchema, 'login'),
    asyncRoute((req, res) => {
      const { login } = bodyOf(SessionBodySchema, req);
      if (!deps.logins.redeem(login)) throw new HubError('IotHubUnauthorized', 'The login token is unknown, expired or already used. Restart the hub for a new one, or paste a connection string.');
      const policy = ownerPolicy(deps.policies);
      if (!policy) throw new HubError('IotHubUnauthorized', 'The hub has no shared access policy.');
      const expiry = Math.floor(deps.clock.now() / 1000) + DASHBOARD_SESSION_SECONDS;
      sendJson(res, 200, {
        hostName: deps.hostName,
        policyName: policy.name,
        authorization: signSasToken(deps.hostName, policy.primaryKey, expiry, policy.name),
        expiresAt: new Date(expiry * 1000).toISOString(),
      });
    }),
  );

  router.get(
    '/dashboard/events',
    requireAuth(deps.auth, ROUTE_PERMISSIONS.query),
    asyncRoute((req, res) => {
      const principal = res.locals.principal as ServicePrincipal;
      streams.serve(req, res, principal.policy.permissions.includes('ServiceConnect'));
    }),
  );
  return router;
}
