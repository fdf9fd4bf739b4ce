import { HubError } from './errors.js';
import { identityKey, parseIdentityKey } from './identity.js';
import { hostWithoutPort } from './sas.js';

/**
 * The fields of a device's MQTT CONNECT (reference 1.2), built by the device agent and read by the hub
 * from this one grammar: client id `{deviceId}` or `{deviceId}/{moduleId}`; username
 * `{hostName}/{clientId}/?api-version=...`; MQTT over WebSockets at MQTT_WEBSOCKET_PATH.
 */

/** The api-version Microsoft's Node SDK puts in the username. */
export const MQTT_API_VERSION = '2021-04-12';

/** Where MQTT (and AMQP) over WebSockets is served on the HTTPS port. */
export const MQTT_WEBSOCKET_PATH = '/$iothub/websocket';

/** Who a CONNECT claims to be, from its client id and username. */
export interface ConnectIdentity {
  deviceId: string;
  moduleId?: string;
  /** `model-id` from the username query (a DTMI), which becomes the twin's `modelId`. */
  modelId?: string;
}

/** `{deviceId}` or `{deviceId}/{moduleId}`. */
export function mqttClientId(deviceId: string, moduleId?: string): string {
  return identityKey(deviceId, moduleId);
}

/** `{host}/{clientId}/?api-version=2021-04-12[&model-id=..]&DeviceClientType=..`, exactly as Node's SDK builds it. */
export function mqttUsername(hostName: string, clientId: string, agent: string, modelId?: string): string {
  const model = modelId === undefined ? '' : `&model-id=${encodeURIComponent(modelId)}`;
  return `${hostName}/${clientId}/?api-version=${MQTT_API_VERSION}${model}&DeviceClientType=${encodeURIComponent(agent)}`;
}

function unauthorized(message: string): HubError {
  return new HubError('IotHubUnauthorized', message);
}

function sameHost(a: string, b: string): boolean {
  return hostWithoutPort(a.toLowerCase()) === hostWithoutPort(b.toLowerCase());
}

/**
 * Reads a CONNECT's identity: the inverse of mqttClientId and mqttUsername. The username may also be
 * `{host}/{clientId}/api-version=...` (older SDKs), `{host}/{clientId}?...` or `{host}/{clientId}`; it must
 * name the same identity as the client id and this hub's host name (with or without a port), or the
 * CONNECT is refused (IotHubUnauthorized).
 */
export function parseConnectIdentity(clientId: string, username: string | undefined, hostName: string): ConnectIdentity {
  const ref = parseIdentityKey(clientId);
  if (ref.deviceId === '' || ref.moduleId === '' || ref.moduleId?.includes('/')) {
    throw unauthorized(`The client id '${clientId}' is not {deviceId} or {deviceId}/{moduleId}.`);
  }
  if (!username) throw unauthorized(`The MQTT username is required: {hostName}/{deviceId}/?api-version=${MQTT_API_VERSION}`);
  // The host ends at the first '/'; the identity is the client id itself (device ids may contain '?').
  const slash = username.indexOf('/');
  const host = slash < 0 ? username : username.slice(0, slash);
  if (!host || !sameHost(host, hostName)) throw unauthorized(`The username's host '${host}' is not this hub ('${hostName}').`);
  const rest = slash < 0 ? '' : username.slice(slash + 1);
  // After the client id: nothing, `/`, `/?query`, `/api-version=...`, or `?query` straight after it.
  const tail = rest === clientId ? '' : rest.startsWith(`${clientId}/`) ? rest.slice(clientId.length + 1) : rest.startsWith(`${clientId}?`) ? rest.slice(clientId.length) : undefined;
  if (tail === undefined || !(tail === '' || tail.startsWith('?') || tail.startsWith('api-version='))) {
    const named = rest.split(/\/\??api-version=|\/\?/)[0] ?? rest;
    throw unauthorized(`The username names '${named}' but the client id is '${clientId}'.`);
  }
  const query = new URLSearchParams(tail.startsWith('?') ? tail.slice(1) : tail);
  const identity: ConnectIdentity = { deviceId: ref.deviceId };
  if (ref.moduleId !== undefined) identity.moduleId = ref.moduleId;
  const modelId = query.get('model-id');
  if (modelId) identity.modelId = modelId;
  return identity;
}
