import { useRef } from 'preact/hooks';

/**
 * Keeps only the newest of overlapping requests: `start()` hands out a ticket, `isLatest(ticket)`
 * tells whether a newer request started since. A slow answer to an older request (an earlier filter,
 * an earlier twin read) is then dropped instead of overwriting a newer one.
 */
export function useLatestOnly(): { start: () => number; isLatest: (ticket: number) => boolean } {
  const latest = useRef(0);
  return { start: () => ++latest.current, isLatest: (ticket) => ticket === latest.current };
}
