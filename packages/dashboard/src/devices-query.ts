import { quote } from './query-text.js';

/** What the Devices page filters by. */
export interface DeviceFilter {
  prefix: string;
  /** `path=value`, e.g. `location.region=US` (a tag below `tags.`). */
  tag: string;
  /** Any query condition, e.g. `properties.reported.connectivity.type = 'cellular'`. */
  condition: string;
}

/** The twin query the Devices page runs for a filter: the list is a query like any other. */
export function devicesQuery(filter: DeviceFilter): string {
  const parts: string[] = [];
  if (filter.prefix.trim()) parts.push(`STARTSWITH(deviceId, ${quote(filter.prefix.trim())})`);
  const tag = /^\s*([\w.$]+)\s*=\s*(.*?)\s*$/.exec(filter.tag);
  if (tag) {
    const [, path = '', raw = ''] = tag;
    const value = /^-?\d+(\.\d+)?$/.test(raw) || raw === 'true' || raw === 'false' ? raw : quote(raw.replace(/^'(.*)'$/, '$1'));
    parts.push(`tags.${path.replace(/^tags\./, '')} = ${value}`);
  }
  if (filter.condition.trim()) parts.push(`(${filter.condition.trim()})`);
  return `SELECT * FROM devices${parts.length ? ` WHERE ${parts.join(' AND ')}` : ''}`;
}
