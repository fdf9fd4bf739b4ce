import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { Hub, RequestEvent } from '@hubemu/hub-emulator';

export type { Logger };

/**
 * The CLI's one logger: human-readable lines on a terminal (pino-pretty), JSON lines otherwise, so a
 * CI job or a log shipper reads the same records a person sees.
 */
export function createLogger(level: string, stream: NodeJS.WriteStream = process.stdout): Logger {
  const options = { level, base: undefined };
  if (!stream.isTTY) return pino(options, stream);
  return pino(options, PinoPretty({ destination: stream, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}

/** How loud a request is: successes are debug, client errors info, server errors error. */
function levelOf(event: RequestEvent): 'debug' | 'info' | 'error' {
  if (event.status >= 500) return 'error';
  return event.status >= 400 ? 'info' : 'debug';
}

/** Logs every request the hub reports on its event stream (the hub itself only emits). */
export function logHubRequests(hub: Pick<Hub, 'events'>, logger: Logger): () => void {
  const listener = (event: RequestEvent): void => {
    const { plane, operation, status, deviceId, moduleId, principal, requestId, errorCode, durationMs } = event;
    const fields = {
      plane,
      status,
      ...(deviceId === undefined ? {} : { deviceId }),
      ...(moduleId === undefined ? {} : { moduleId }),
      ...(principal === undefined ? {} : { principal }),
      ...(requestId === undefined ? {} : { requestId }),
      ...(errorCode === undefined ? {} : { errorCode }),
      ms: Math.round(durationMs * 10) / 10,
    };
    logger[levelOf(event)](fields, event.message === undefined ? operation : `${operation}: ${event.message}`);
  };
  hub.events.on('request', listener);
  return () => hub.events.off('request', listener);
}
