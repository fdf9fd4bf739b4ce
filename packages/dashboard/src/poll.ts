import { useEffect, useRef } from 'preact/hooks';

/**
 * Calls `tick` now and then every `ms` while the component is mounted and `active` holds: for what
 * the hub emits no event about (job status, configuration metrics), sampled while the page is open.
 */
export function usePoll(tick: () => void, ms: number, active: boolean, deps: unknown[]): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return undefined;
    latest.current();
    const timer = setInterval(() => latest.current(), ms);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active, ms, ...deps]);
}
