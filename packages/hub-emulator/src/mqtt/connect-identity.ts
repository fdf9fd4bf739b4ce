import { HubError } from '@hubemu/shared';

/** Who a CONNECT claims to be, from its client id and username. */
export interface ConnectIdentity {
  deviceId: string;
  moduleId?: string;
  /** `model-id` from the username query (a DTMI), which becomes the twin's `modelId`. */
  modelId?: string;
}

function sameHost(a: string, b: string): boolean {
  const strip = (h: string): string => h.toLowerCase().replace(/:\d+$/, '');
  return strip(a) === strip(b);
}

/**
 * Reads a CONNECT's identity (reference 1.2). Client id `{deviceId}` or `{deviceId}/{moduleId}`;
 * username `{host}/{clientId}/?api-version=...`, `{host}/{clientId}/api-version=...` or `{host}/{clientId}`.
 * The username must name the same identity as the client id and this hub's host name.
 */
export function parseConnectIdentity(clientId: string, username: string | undefined, hostName: string): ConnectIdentity {
  const idParts = clientId.split('/');
  if (idParts.length > 2 || idParts.some((p) => p === '')) {
    throw new HubError('IotHubUnauthorized', `The client id '${clientId}' is not {deviceId} or {deviceId}/{moduleId}.`);
  }
  const [deviceId, moduleId] = idParts as [string, string | undefined];
  if (!username) throw new HubError('IotHubUnauthorized', 'The MQTT username is required: {hostName}/{deviceId}/?api-version=2021-04-12');
  // The host ends at the first '/'; the identity is the client id itself (device ids may contain '?').
  const slash = username.indexOf('/');
  const host = slash < 0 ? username : username.slice(0, slash);
  if (!host || !sameHost(host, hostName)) {
    throw new HubError('IotHubUnauthorized', `The username's host '${host}' is not this hub ('${hostName}').`);
  }
  const rest = slash < 0 ? '' : username.slice(slash + 1);
  // After the client id: nothing, `/`, `/?query`, `/api-version=...`, or `?query` straight after it.
  const tail = rest === clientId ? '' : rest.startsWith(`${clientId}/`) ? rest.slice(clientId.length + 1) : rest.startsWith(`${clientId}?`) ? rest.slice(clientId.length) : undefined;
  if (tail === undefined || !(tail === '' || tail.startsWith('?') || tail.startsWith('api-version='))) {
    const named = rest.split(/\/\??api-version=|\/\?/)[0] ?? rest;
    throw new HubError('IotHubUnauthorized', `The username names '${named}' but the client id is '${clientId}'.`);
  }
  const query = new URLSearchParams(tail.startsWith('?') ? tail.slice(1) : tail);
  const identity: ConnectIdentity = { deviceId };
  if (moduleId !== undefined) identity.moduleId = moduleId;
  const modelId = query.get('model-id');
  if (modelId) identity.modelId = modelId;
  return identity;
}
