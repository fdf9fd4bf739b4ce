import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { describeZodIssue, HubError, parseWithSchema, tryParseJson, type Permission } from '@hubemu/shared';
import type { SasAuthenticator, ServicePrincipal } from '../auth/sas-authenticator.js';
import type { Units } from '../store/collection.js';

export type { Units } from '../store/collection.js';
import { admitRoute } from './route-admission.js';

/**
 * The building blocks every REST route file uses (devices, twins, methods here; query, jobs and
 * configurations in their own files): authentication by permission, JSON bodies checked with zod at
 * the edge, and the one way of reading `If-Match`.
 */

/** Largest request body the service API reads. Bigger bodies get 413 MessageTooLarge before any work is done. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/**
 * Which shared access permissions open which operations. A route needs any one of the listed
 * permissions (reference 1.3, IoT Hub "Control access" docs): the registry is read with RegistryRead
 * and written with RegistryWrite; twins, methods, jobs and configurations are ServiceConnect; twin
 * reads and queries also accept RegistryRead.
 */
export const ROUTE_PERMISSIONS = {
  registryRead: ['RegistryRead'],
  registryWrite: ['RegistryWrite'],
  twinRead: ['ServiceConnect', 'RegistryRead'],
  twinWrite: ['ServiceConnect'],
  methods: ['ServiceConnect'],
  query: ['ServiceConnect', 'RegistryRead'],
  jobs: ['ServiceConnect'],
  configurations: ['ServiceConnect'],
  c2d: ['ServiceConnect'],
} as const satisfies Record<string, readonly Permission[]>;

/** Which resource a call touches, below the host (see `identityResource`); `[]` is the whole hub. */
export type ResourceOf = (req: Request) => readonly string[];

/**
 * The identity a route's `:deviceId` (and `:moduleId`) name, as the service's resource URIs do:
 * `devices/{id}[/modules/{mid}]`, so `/twins/d1` and `/twins/d1/methods` are `devices/d1`.
 * `suffix` narrows it further (`['modules']` for the module list of a device).
 */
export function identityResource(...suffix: string[]): ResourceOf {
  return (req) => {
    const { deviceId, moduleId } = req.params;
    if (typeof deviceId !== 'string' || deviceId === '') return [];
    const identity = typeof moduleId === 'string' ? ['devices', deviceId, 'modules', moduleId] : ['devices', deviceId];
    return [...identity, ...suffix];
  };
}

/**
 * Verifies the `Authorization: SharedAccessSignature ...` header and that its policy grants one of
 * `anyOf`. A missing, malformed, expired, foreign or wrongly signed token is 401 IotHubUnauthorized;
 * a valid token whose policy lacks the permission is 401 IotHubUnauthorizedAccess.
 * `resourceOf` lets a token scoped below the host (`sr=host/devices/d1`) call routes on what it
 * covers; without it (queries, jobs, configurations, statistics, lists) the token must cover the hub.
 * The principal is left in `res.locals.principal`; then the admission seam (faults, tier throttles) has its say (`admitRoute`).
 */
export function requireAuth(auth: SasAuthenticator, anyOf: readonly Permission[], resourceOf?: ResourceOf): RequestHandler {
  if (anyOf.length === 0) throw new Error('requireAuth needs at least one permission');
  return (req: Request, res: Response, next: NextFunction) => {
    // What the request event names: the route pattern (not the ids in the path) and the identity it touches.
    res.locals.route = `${req.baseUrl}${typeof req.route?.path === 'string' ? req.route.path : ''}` || req.path;
    const { deviceId, moduleId } = req.params;
    if (typeof deviceId === 'string') res.locals.identity = { deviceId, ...(typeof moduleId === 'string' ? { moduleId } : {}) };
    const header = req.get('authorization');
    const resource = resourceOf ? resourceOf(req) : [];
    let lastError: unknown;
    for (const permission of anyOf) {
      try {
        res.locals.principal = auth.authenticateService(header, permission, resource) satisfies ServicePrincipal;
        admitRoute(req, res, next);
        return;
      } catch (error) {
        lastError = error;
        // Only a missing permission is worth trying the next one; a bad token stays bad.
        if (!(error instanceof HubError) || error.errorCode !== 'IotHubUnauthorizedAccess') break;
      }
    }
    next(lastError);
  };
}

/** Reads any request body (whatever its Content-Type) as bytes, up to BODY_LIMIT_BYTES; JSON parsing is ours. */
export const readBody: RequestHandler = express.raw({ limit: BODY_LIMIT_BYTES, type: () => true });

/** The request body as JSON: undefined when there is none (or only whitespace); 400 when it is not JSON. */
function jsonOf(body: unknown): unknown {
  if (!Buffer.isBuffer(body)) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  const parsed = tryParseJson(text);
  if (!parsed.ok) throw new HubError('ArgumentInvalid', `The request body is not valid JSON: ${parsed.error}`);
  return parsed.value;
}

/** Parses `value` with `schema`, or throws 400 ArgumentInvalid naming the first problem (the shared edge rule). */
export const parseWith = parseWithSchema;
export const describeIssue = describeZodIssue;

/**
 * Reads the JSON body and checks it with `schema` at the edge; the parsed value replaces `req.body`.
 * An absent or empty body is `undefined` (schemas decide whether that is allowed). Malformed JSON
 * and schema failures are 400 ArgumentInvalid; nothing reaches a service.
 */
export function parseBody<S extends z.ZodType>(schema: S, what = 'request body'): RequestHandler[] {
  return parseBodyWith((value) => parseWith(schema, value, what));
}

/**
 * Like parseBody with the request kind's own edge parser (`parseServiceTwinBody`, `parseMethodRequest`,
 * `parseJobRequest`...), the one the embedded API uses too, so a bad body gets the same error either way.
 */
export function parseBodyWith<T>(parse: (value: unknown, req: Request) => T): RequestHandler[] {
  return [
    readBody,
    (req: Request, _res: Response, next: NextFunction) => {
      req.body = parse(jsonOf(req.body), req);
      next();
    },
  ];
}

/** The typed body that `parseBody(schema)` left on the request. */
export function bodyOf<S extends z.ZodType>(_schema: S, req: Request): z.output<S> {
  return req.body as z.output<S>;
}

/** The typed body that `parseBodyWith(parse)` left on the request. */
export function parsedBody<T>(_parse: (value: unknown, req: Request) => T, req: Request): T {
  return req.body as T;
}

/**
 * The `If-Match` header as given (quoted etag, `"*"` or `*`), or undefined when absent.
 * An empty header is refused: it would otherwise read as "no condition".
 */
export function ifMatchOf(req: Request): string | undefined {
  const value = req.get('if-match');
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new HubError('ArgumentInvalid', 'The If-Match header is empty. Send a quoted etag or "*".');
  return value.trim();
}

/** A path parameter (Express has already URL-decoded it). */
export function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || value === '') throw new HubError('ArgumentInvalid', `The path parameter '${name}' is missing.`);
  return value;
}

/** Sends JSON as the service does: `application/json; charset=utf-8` (Node's SDK parses nothing else). */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(JSON.stringify(body));
}

/**
 * Wraps a handler so a thrown error or rejected promise reaches the error renderer. Express 5 does
 * this for promises already; the wrapper also documents intent and types the handler.
 */
export function asyncRoute(handler: (req: Request, res: Response) => void | Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    try {
      const result = handler(req, res);
      if (result instanceof Promise) result.catch(next);
    } catch (error) {
      next(error);
    }
  };
}


/**
 * Runs a synchronous handler that writes as one unit of the store. On a hub that shares its state with
 * other processes, the response is held until the unit is committed, and the handler runs again when
 * another process changed the same data first; on one process it is the handler itself.
 */
export function committed(units: Units, handler: (req: Request, res: Response) => void): RequestHandler {
  if (!units.replicated) return handler;
  return (req: Request, res: Response, next: NextFunction) => {
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let held: unknown[] | undefined;
    res.end = ((...args: unknown[]) => {
      held = args;
      return res;
    }) as Response['end'];
    const release = (): void => {
      res.end = end as Response['end'];
      if (held) end(...held);
    };
    const fail = (error: unknown): void => {
      res.end = end as Response['end'];
      next(error);
    };
    let outcome: void | Promise<void>;
    try {
      outcome = units.transaction(() => {
        held = undefined;
        handler(req, res);
      });
    } catch (error) {
      return fail(error);
    }
    if (outcome instanceof Promise) outcome.then(release, fail);
    else release();
  };
}
