import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'devices'; condition?: string }
  | { page: 'device'; deviceId: string }
  | { page: 'query' }
  | { page: 'jobs'; jobId?: string }
  | { page: 'configurations'; configurationId?: string }
  | { page: 'compliance' }
  | { page: 'telemetry' };

/** The rest of a path below `prefix/`, decoded, or undefined when there is none. */
const below = (path: string, prefix: string): string | undefined => (path.startsWith(`${prefix}/`) && path.length > prefix.length + 1 ? decodeURIComponent(path.slice(prefix.length + 1)) : undefined);

/**
 * The page the location hash names: `#/devices` (with `?where=<condition>` to filter the list),
 * `#/devices/<id>`, `#/query`, `#/jobs[/<id>]`, `#/configurations[/<id>]`, `#/compliance`, `#/telemetry`.
 */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const deviceId = below(path, 'devices');
  if (deviceId !== undefined) return { page: 'device', deviceId };
  if (path === 'query') return { page: 'query' };
  if (path === 'jobs' || path.startsWith('jobs/')) {
    const jobId = below(path, 'jobs');
    return jobId === undefined ? { page: 'jobs' } : { page: 'jobs', jobId };
  }
  if (path === 'configurations' || path.startsWith('configurations/')) {
    const configurationId = below(path, 'configurations');
    return configurationId === undefined ? { page: 'configurations' } : { page: 'configurations', configurationId };
  }
  if (path === 'compliance') return { page: 'compliance' };
  if (path === 'telemetry') return { page: 'telemetry' };
  const condition = new URLSearchParams(search).get('where');
  return condition ? { page: 'devices', condition } : { page: 'devices' };
}

export const deviceHref = (deviceId: string): string => `#/devices/${encodeURIComponent(deviceId)}`;
export const devicesWhereHref = (condition: string): string => `#/devices?${new URLSearchParams({ where: condition }).toString()}`;
export const jobHref = (jobId: string): string => `#/jobs/${encodeURIComponent(jobId)}`;
export const configurationHref = (id: string): string => `#/configurations/${encodeURIComponent(id)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
