import { HubError, toHubError, type HubClock } from '@hubemu/shared';
import rhea, { type Message } from 'rhea';
import { CreditGate } from './credit-gate.js';
import type { EventHubLog } from '../event-hub/event-hub-types.js';
import { AMQP_CONDITIONS } from './amqp-errors.js';
import type { AmqpRequests } from './amqp-request.js';
import { eventPositionOf, selectorText } from './event-position-filter.js';
import { hubEventMessage } from './hub-event-message.js';
import { LinkRefusal, type LinkRoute } from './link-routes.js';
import { findReplyLink, requestProperty } from './message-parts.js';

const { types } = rhea;
const RUNTIME_METRIC = 'com.microsoft:enable-receiver-runtime-metric';
const EPOCH = 'com.microsoft:epoch';
/** Events read from the log per step of a reader's pump (its credit bounds it too). */
const READ_CHUNK = 64;

export interface EventHubRouteDeps {
  eventHub: EventHubLog | undefined;
  requests: AmqpRequests;
  clock: HubClock;
  hostName: string;
  /** The AMQP/TLS port, for redirects. */
  amqpPort: () => number;
}

/** `amqp:link:redirect`: what IoT Hub answers a reader that attached with the hub's own address (reference §9.6). */
export const LINK_REDIRECT = 'amqp:link:redirect';
/** How long after the attach reply the redirect detach goes out. */
const REDIRECT_AFTER_MS = 20;

function notFound(message: string): HubError {
  return new HubError('NotFound', message);
}

/** The `$management` READ answer body (reference §9.3), with the AMQP types the SDK reads. */
export function managementReadBody(log: EventHubLog, type: string | undefined, partition: string | undefined, entity: string | undefined): Record<string, unknown> {
  if (entity !== undefined && entity.toLowerCase() !== log.name.toLowerCase()) throw notFound(`The messaging entity '${entity}' could not be found.`);
  if (type === 'com.microsoft:eventhub') {
    const ids = Array.from({ length: log.partitionCount }, (_, i) => String(i));
    return {
      name: log.name,
      type,
      created_at: new Date(log.createdAtMs),
      partition_count: types.wrap_int(log.partitionCount),
      partition_ids: types.wrap_array(ids, 0xb1, undefined),
    };
  }
  if (type === 'com.microsoft:partition') {
    const p = partitionNumber(log, partition ?? '');
    const info = log.partitionInfo(p);
    return {
      name: log.name,
      type,
      partition: String(p),
      begin_sequence_number: types.wrap_long(info.beginSequenceNumber),
      last_enqueued_sequence_number: types.wrap_long(info.lastEnqueuedSequenceNumber),
      last_enqueued_offset: info.lastEnqueuedOffset,
      last_enqueued_time_utc: new Date(info.lastEnqueuedTimeMs),
      is_partition_empty: info.isEmpty,
    };
  }
  throw new HubError('ArgumentInvalid', `Unsupported management type '${type ?? ''}'.`);
}

function partitionNumber(log: EventHubLog, text: string): number {
  const p = /^\d+$/.test(text) ? Number(text) : -1;
  if (p < 0 || p >= log.partitionCount) throw notFound(`The partition '${text}' does not exist (this hub has ${log.partitionCount}: 0 to ${log.partitionCount - 1}).`);
  return p;
}

interface Reader {
  epoch: number | undefined;
  evict: () => void;
}

/**
 * The Event Hubs-compatible endpoint (reference §9): `$management` READ for the hub and its
 * partitions, and partition receivers that pull from the bounded log only as far as their credit
 * allows and follow new appends, so a slow or absent reader holds nothing and slows no device.
 */
export function eventHubRoutes(deps: EventHubRouteDeps): LinkRoute[] {
  const { requests, clock } = deps;
  const log = (): EventHubLog => {
    if (!deps.eventHub) throw notFound('The Event Hubs-compatible endpoint is not available on this hub.');
    return deps.eventHub;
  };
  // Open readers per consumer group and partition, for epoch (owner level) eviction.
  const readers = new Map<string, Set<Reader>>();

  const claim = (key: string, epoch: number | undefined, evict: () => void): Reader => {
    const set = readers.get(key) ?? new Set<Reader>();
    readers.set(key, set);
    const highest = Math.max(-1, ...[...set].map((r) => r.epoch ?? -1));
    const epochHeld = [...set].some((r) => r.epoch !== undefined);
    if (epoch === undefined ? epochHeld : epoch < highest) {
      const held = epoch === undefined ? `a receiver with epoch ${highest}` : `a receiver with a higher epoch (${highest})`;
      throw new LinkRefusal(AMQP_CONDITIONS.linkStolen, new HubError('IotHubQuotaExceeded', `The partition is read by ${held}.`));
    }
    if (epoch !== undefined) for (const r of [...set]) if ((r.epoch ?? -1) < epoch) r.evict();
    const reader: Reader = { epoch, evict };
    set.add(reader);
    return reader;
  };

  return [
    {
      // The IoT Hub connection-string samples attach here (authenticated by SASL PLAIN, no $cbs) and expect to be sent to the Event Hub-compatible name.
      name: 'eventhub.redirect',
      role: 'sender',
      pattern: /^\/messages\/events(\/\$management|\/ConsumerGroups\/[^/]+\/Partitions\/[^/]+)?$/i,
      open({ link, address: asked }) {
        const events = log();
        const port = deps.amqpPort();
        const address = `amqps://${deps.hostName}:${port}/${events.name}/$management`;
        // The attach is answered first and the redirect follows as its own detach, as the service does:
        // the sample awaits createReceiver() and only then listens for the receiver's error.
        const timer = setTimeout(() => {
          link.close({ condition: LINK_REDIRECT, description: `Read the events at ${address}.`, info: { hostname: deps.hostName, 'network-host': deps.hostName, port: types.wrap_int(port), address } });
          requests.emit({ operation: 'eventhub.redirect', address: asked, status: 302 });
        }, REDIRECT_AFTER_MS);
        return () => clearTimeout(timer);
      },
    },
    { name: 'eventhub.management.replies', role: 'sender', pattern: /^\$management$/i, open: () => undefined },
    {
      name: 'eventhub.management',
      role: 'receiver',
      pattern: /^\$management$/i,
      auth: { resource: () => `${deps.eventHub?.name ?? ''}/$management`, permission: 'ServiceConnect' },
      open({ link, conn }) {
        link.on('message', (context) => {
          const done = requests.start();
          const request = context.message;
          context.delivery?.accept();
          const operation = requestProperty(request, 'operation');
          let status = 200;
          let description = 'OK';
          let body: Record<string, unknown> | undefined;
          let error: HubError | undefined;
          try {
            if (operation !== 'READ') throw new HubError('ArgumentInvalid', `Unsupported management operation '${operation ?? ''}'.`);
            body = managementReadBody(log(), requestProperty(request, 'type'), requestProperty(request, 'partition'), requestProperty(request, 'name'));
          } catch (thrown) {
            error = toHubError(thrown);
            status = error.status;
            description = error.message;
          }
          const response: Message = {
            correlation_id: request.message_id,
            application_properties: { 'status-code': types.wrap_int(status), 'status-description': description },
            body,
          };
          findReplyLink(conn, link, '$management', request.reply_to)?.send(response);
          done({ operation: 'eventhub.read', address: '$management', ...(error ? { error } : {}), requestId: String(request.message_id ?? '') });
        });
      },
    },
    {
      name: 'eventhub.partition',
      role: 'sender',
      pattern: /^(?<entity>[^/]+)\/ConsumerGroups\/(?<group>[^/]+)\/Partitions\/(?<partition>[^/]+)$/i,
      auth: { resource: (p) => `${p.entity}/ConsumerGroups/${p.group}/Partitions/${p.partition}`, permission: 'ServiceConnect' },
      open({ link, params }) {
        const events = log();
        const { entity = '', group = '', partition: partitionText = '' } = params;
        if (entity.toLowerCase() !== events.name.toLowerCase()) throw notFound(`The messaging entity '${entity}' could not be found (this hub's is '${events.name}').`);
        if (!events.hasConsumerGroup(group)) throw notFound(`The consumer group '${group}' does not exist.`);
        const partition = partitionNumber(events, partitionText);
        let next = events.startOf(partition, eventPositionOf(selectorText(link.source?.filter)));
        const runtime = ([] as string[]).concat(link.desired_capabilities ?? []).includes(RUNTIME_METRIC);
        const epochValue: unknown = link.properties?.[EPOCH];
        const epoch = typeof epochValue === 'number' ? epochValue : typeof epochValue === 'bigint' ? Number(epochValue) : undefined;
        const key = `${group.toLowerCase()}/${partition}`;
        const reader = claim(key, epoch, () => link.close({ condition: AMQP_CONDITIONS.linkStolen, description: `A receiver with a higher epoch (${epoch ?? 0}+) took partition ${partition} of consumer group '${group}'.` }));
        const gate = new CreditGate(link);
        const pump = (): void => {
          for (let budget = gate.available(); budget > 0; budget = gate.available()) {
            const batch = events.read(partition, next, Math.min(READ_CHUNK, budget));
            if (batch.length === 0) return;
            const info = runtime ? events.partitionInfo(partition) : undefined;
            for (const event of batch) {
              gate.sent(link.send(hubEventMessage(event, info, info ? clock.now() : undefined)));
              next = event.sequenceNumber + 1;
            }
          }
        };
        link.on('sendable', pump);
        const unsubscribe = events.onAppend((event) => {
          if (event.partition === partition) pump();
        });
        // Event Hubs detaches the readers of a consumer group that is deleted (at run time or by a reset).
        const unsubscribeGroup = events.onConsumerGroupDeleted((deleted) => {
          if (deleted === group.toLowerCase()) link.close({ condition: AMQP_CONDITIONS.notFound, description: `The consumer group '${group}' was deleted.` });
        });
        // The attach reply goes out first; then whatever the reader's first credit allows.
        queueMicrotask(pump);
        return () => {
          unsubscribe();
          unsubscribeGroup();
          const set = readers.get(key);
          set?.delete(reader);
          if (set?.size === 0) readers.delete(key);
        };
      },
    },
  ];
}
