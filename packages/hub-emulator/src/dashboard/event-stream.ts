import type { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { HubError } from '@hubemu/shared';
import type { ClusterEvents } from '../cluster/cluster-events.js';
import type { HubEventMap, HubEvents, TelemetryMessage } from '../events.js';

/** Bytes an event-stream client may have unread in its socket buffer; past that, events are dropped (and counted), never queued. */
export const EVENT_STREAM_MAX_PENDING_BYTES = 256 * 1024;
/** Event-stream clients open at once; one more is refused with 429 ThrottlingException. */
export const EVENT_STREAM_MAX_CLIENTS = 32;
/** Characters of a telemetry body an event carries; longer bodies are cut and flagged `truncated`. */
export const EVENT_STREAM_BODY_CHARS = 4096;
/** A comment line keeps idle streams (and the proxies between) open. */
const HEARTBEAT_MS = 15_000;

/** The hub events the stream forwards; telemetry only to a principal with ServiceConnect. */
const FORWARDED = ['request', 'twinUpdated', 'deviceConnected', 'deviceDisconnected', 'identityCreated', 'identityUpdated', 'identityDeleted', 'methodInvoked', 'telemetry'] as const;
type Forwarded = (typeof FORWARDED)[number];

/** An event as the stream sends it. */
function rendered(name: Forwarded, payload: HubEventMap[Forwarded][0]): unknown {
  return name === 'telemetry' ? telemetryForStream(payload as TelemetryMessage) : payload;
}

/** A telemetry message as the stream sends it: the body as UTF-8 text (or base64 when it is not text), cut to EVENT_STREAM_BODY_CHARS. */
export function telemetryForStream(message: TelemetryMessage): Record<string, unknown> {
  const text = message.body.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(message.body);
  const body = isText ? text : message.body.toString('base64');
  return {
    deviceId: message.deviceId,
    ...(message.moduleId === undefined ? {} : { moduleId: message.moduleId }),
    properties: message.properties,
    systemProperties: message.systemProperties,
    body: body.slice(0, EVENT_STREAM_BODY_CHARS),
    bodyEncoding: isText ? 'utf8' : 'base64',
    ...(body.length > EVENT_STREAM_BODY_CHARS ? { truncated: true } : {}),
    receivedAt: message.receivedAt,
  };
}

/**
 * Server-sent events fed by the hub's typed events, one stream per client. Memory per client is
 * bounded: while the socket holds more than EVENT_STREAM_MAX_PENDING_BYTES unread, events are dropped
 * and counted, and the client is told how many with a `dropped` event once it catches up.
 */
export class EventStreams {
  private open = 0;

  /**
   * `shared`: on a hub of several processes, the other processes' events reach the streams here and
   * this one's reach theirs; `twinUpdated` is not sent, since every process raises it already.
   */
  constructor(
    private readonly events: HubEvents,
    private readonly shared?: Pick<ClusterEvents, 'wanted' | 'publish' | 'listen'>,
  ) {
    if (!shared) return;
    const emitter = events as unknown as EventEmitter;
    for (const name of FORWARDED) {
      if (name !== 'twinUpdated') emitter.on(name, (payload: HubEventMap[Forwarded][0]) => void (shared.wanted ? shared.publish(name, rendered(name, payload)) : undefined));
    }
  }

  serve(req: Request, res: Response, withTelemetry: boolean): void {
    if (this.open >= EVENT_STREAM_MAX_CLIENTS) throw new HubError('ThrottlingException', `At most ${EVENT_STREAM_MAX_CLIENTS} event streams may be open at once.`);
    this.open += 1;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(': hubemu event stream\n\n');
    let dropped = 0;
    const send = (name: string, data: unknown): void => {
      if (res.writableLength > EVENT_STREAM_MAX_PENDING_BYTES) {
        dropped += 1;
        return;
      }
      if (dropped > 0) {
        res.write(`event: dropped\ndata: ${JSON.stringify({ count: dropped })}\n\n`);
        dropped = 0;
      }
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // Every forwarded event has one payload argument; the untyped view lets one loop subscribe them all.
    const emitter = this.events as unknown as EventEmitter;
    const listeners = new Map<Forwarded, (payload: HubEventMap[Forwarded][0]) => void>();
    for (const name of FORWARDED) {
      if (name === 'telemetry' && !withTelemetry) continue;
      const listener = (payload: HubEventMap[Forwarded][0]): void => send(name, rendered(name, payload));
      listeners.set(name, listener);
      emitter.on(name, listener);
    }
    const unlisten = this.shared?.listen((name, data) => (name !== 'telemetry' || withTelemetry ? send(name, data) : undefined));
    const heartbeat = setInterval(() => {
      if (res.writableLength <= EVENT_STREAM_MAX_PENDING_BYTES) res.write(': ping\n\n');
    }, HEARTBEAT_MS);
    heartbeat.unref();
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.open -= 1;
      clearInterval(heartbeat);
      for (const [name, listener] of listeners) emitter.off(name, listener);
      unlisten?.();
    };
    req.on('close', close);
    res.on('close', close);
  }
}
