import { useEffect, useLayoutEffect } from 'preact/hooks';
import type { Session } from './session.js';

/** The hub's events as the stream sends them (see the hub's `events.ts`). */
export interface RequestEvent {
  plane: string;
  operation: string;
  deviceId?: string;
  moduleId?: string;
  principal?: string;
  status: number;
  errorCode?: string;
  message?: string;
  requestId?: string;
  durationMs: number;
  at: string;
}
export interface TelemetryEvent {
  deviceId: string;
  moduleId?: string;
  properties: Record<string, string | null>;
  systemProperties?: Record<string, string | null>;
  body: string;
  truncated?: boolean;
  bodyEncoding: 'utf8' | 'base64';
  receivedAt: string;
}
export type LiveListener = (name: string, data: unknown) => void;

const listeners = new Set<LiveListener>();
let status: 'connecting' | 'live' | 'reconnecting' = 'connecting';
const RETRY_MS = 2_000;

export function liveStatus(): string {
  return status;
}

/** Parses server-sent events from a text stream (the hub's `/dashboard/events`) and hands each to the listeners. */
async function pump(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data === '') continue;
      const payload: unknown = JSON.parse(data);
      for (const listener of listeners) listener(name, payload);
    }
  }
}

/**
 * Keeps one event stream open for the page (signed like a REST call; fetch, not EventSource, so the
 * token travels in the Authorization header), reconnecting after a pause when it drops.
 */
export function connectLiveEvents(session: Session, signal: AbortSignal): void {
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const response = await fetch('/dashboard/events', { headers: { Authorization: session.authorization }, signal });
        if (response.ok) {
          status = 'live';
          await pump(response);
        }
      } catch {
        // dropped or aborted: retry below unless aborted
      }
      if (signal.aborted) return;
      status = 'reconnecting';
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  };
  void run();
}

/**
 * Calls `handler` for every live event while the component is mounted: from the moment the page is on
 * screen (a layout effect runs before the browser paints, so no event arrives between the page showing
 * and its listener being there).
 */
export function useLiveEvents(handler: LiveListener, deps: unknown[]): void {
  useLayoutEffect(() => {
    listeners.add(handler);
    return () => void listeners.delete(handler);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

/** Runs `refresh` at most every `ms` while events matching `matches` arrive. */
export function useRefreshOn(matches: (name: string, data: unknown) => boolean, refresh: () => void, deps: unknown[], ms = 500): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: LiveListener = (name, data) => {
      if (timer === undefined && matches(name, data)) {
        timer = setTimeout(() => {
          timer = undefined;
          refresh();
        }, ms);
      }
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (timer !== undefined) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
