import { parseConnectionString } from './sas.js';

/**
 * The hub's name: the first DNS label of its host name (`my-hub` of `my-hub.azure-devices.net`,
 * `localhost` of `localhost`). It names the Event Hub-compatible entity (`EntityPath`), the feedback
 * `user_id` and the `user-id` of the hub's own events (iothub-messaging.md §1, §9.1).
 */
export function hubNameOf(hostName: string): string {
  const host = hostName.replace(/:\d+$/, '');
  return host.split('.')[0] ?? host;
}

/**
 * The Event Hub-compatible connection string (iothub-messaging.md §9.1) of a hub, from its service
 * connection string (`HostName=host[:port];SharedAccessKeyName=...;SharedAccessKey=...`):
 * `Endpoint=sb://{host}[:amqpPort]/;SharedAccessKeyName=...;SharedAccessKey=...;EntityPath={hubName}`.
 * `amqpPort` is left out when it is the AMQP-over-TLS default, 5671, as the portal's strings do.
 */
export function eventHubConnectionString(serviceConnectionString: string, amqpPort = 5671): string {
  const fields = parseConnectionString(serviceConnectionString);
  const { HostName: hostWithPort, SharedAccessKeyName: keyName, SharedAccessKey: key } = fields;
  if (!hostWithPort || !keyName || !key) throw new Error('A service connection string needs HostName, SharedAccessKeyName and SharedAccessKey.');
  const host = hostWithPort.replace(/:\d+$/, '');
  const port = amqpPort === 5671 ? '' : `:${amqpPort}`;
  return `Endpoint=sb://${host}${port}/;SharedAccessKeyName=${keyName};SharedAccessKey=${key};EntityPath=${hubNameOf(host)}`;
}
