import { Router } from 'express';
import type { EventLog } from '../event-hub/event-log.js';
import { asyncRoute, param, sendJson } from '../http/route-kit.js';

/** What the routes need of the event log. */
export type ConsumerGroups = Pick<EventLog, 'listConsumerGroups' | 'getConsumerGroup' | 'createConsumerGroup' | 'deleteConsumerGroup'>;

/**
 * `/emulator/eventhub/consumergroups` (docs/testing-with-hubemu.md), mounted by `mountControlPlane`
 * (owner only): the Event Hubs-compatible endpoint's consumer groups, which Azure manages through its
 * management plane (`az iot hub consumer-group ...`), not the service API. `GET` lists them
 * (`[{name}]`), `GET /{name}` shows one (404 NotFound), `PUT /{name}` creates one (201 `{name}`, 409 Conflict when it exists, 400 for a name the
 * service refuses), `DELETE /{name}` deletes one and detaches its readers (204, 404 NotFound, 400 for `$Default`).
 * The log checks the name with the shared schema, as it does for `hub.consumerGroups.create`.
 */
export function consumerGroupsRouter(groups: ConsumerGroups): Router {
  const router = Router();
  const path = '/eventhub/consumergroups';
  router.get(path, (_req, res) => sendJson(res, 200, groups.listConsumerGroups().map((name) => ({ name }))));
  router.get(`${path}/:name`, asyncRoute((req, res) => sendJson(res, 200, { name: groups.getConsumerGroup(param(req, 'name')) })));
  router.put(
    `${path}/:name`,
    asyncRoute((req, res) => sendJson(res, 201, { name: groups.createConsumerGroup(param(req, 'name')) })),
  );
  router.delete(
    `${path}/:name`,
    asyncRoute((req, res) => {
      groups.deleteConsumerGroup(param(req, 'name'));
      res.status(204).end();
    }),
  );
  return router;
}
