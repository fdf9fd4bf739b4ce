import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'devices' } | { page: 'device'; deviceId: string } | { page: 'query'; query?: string };

/** The page the location hash names: `#/devices`, `#/devices/<id>`, `#/query`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  if (path.startsWith('devices/')) return { page: 'device', deviceId: decodeURIComponent(path.slice('devices/'.length)) };
  if (path.startsWith('query')) return { page: 'query' };
  return { page: 'devices' };
}

export const deviceHref = (deviceId: string): string => `#/devices/${encodeURIComponent(deviceId)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
