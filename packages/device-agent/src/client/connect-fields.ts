import { arch, platform } from 'node:os';
import { deviceResourceUri, mqttClientId, mqttUsername, MQTT_WEBSOCKET_PATH, signSasToken } from '@hubemu/shared';
import type { ResolvedClientConfig } from './client-options.js';

export const AGENT_NAME = 'hubemu-device-agent/0.1.0';

/** What goes into one MQTT CONNECT, computed at `nowMs`. */
export interface ConnectFields {
  url: string;
  clientId: string;
  username: string;
  password: string;
  /** When the SAS token expires (ms since epoch); undefined for a caller-supplied token. */
  tokenExpiresAtMs: number | undefined;
}

/** `hubemu-device-agent/0.1.0 (node v20.x; linux; x64)` plus any product info, like Node's SDK. */
export function userAgent(productInfo = ''): string {
  return `${AGENT_NAME} (node ${process.version}; ${platform()}; ${arch()})${productInfo}`;
}

export function brokerUrl(config: Pick<ResolvedClientConfig, 'transport' | 'connectHost' | 'port'>): string {
  const host = config.connectHost.includes(':') ? `[${config.connectHost}]` : config.connectHost;
  if (config.transport === 'wss') return `wss://${host}:${config.port}${MQTT_WEBSOCKET_PATH}`;
  return `${config.transport}://${host}:${config.port}`;
}

export function buildConnectFields(config: ResolvedClientConfig, nowMs: number): ConnectFields {
  const clientId = mqttClientId(config.deviceId, config.moduleId);
  const username = mqttUsername(config.hostName, clientId, userAgent(config.productInfo), config.modelId);
  let password: string;
  let tokenExpiresAtMs: number | undefined;
  if (config.credential.kind === 'token') {
    password = config.credential.token;
  } else {
    const expiry = Math.floor(nowMs / 1000) + config.tokenLifetimeSeconds;
    const resource = deviceResourceUri(config.hostName, config.deviceId, config.moduleId);
    password = signSasToken(resource, config.credential.key, expiry, config.credential.keyName);
    tokenExpiresAtMs = expiry * 1000;
  }
  return { url: brokerUrl(config), clientId, username, password, tokenExpiresAtMs };
}
