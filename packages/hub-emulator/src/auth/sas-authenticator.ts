import {
  deviceResourceUri,
  findPolicy,
  HubError,
  identityKey,
  parseSasToken,
  sasScopeCovers,
  sasSignatureMatches,
  type AccessPolicy,
  type Clock,
  type Permission,
  type SasKeyBytes,
  type SasToken,
} from '@hubemu/shared';
import type { DeviceEntry } from '../registry/device-entry.js';

export type IdentityLookup = (key: string) => DeviceEntry | undefined;

/**
 * What a token put on an AMQP connection's `$cbs` node grants (reference iothub-messaging.md §2): links
 * whose resource its audience covers, with its permissions, until it expires.
 */
export interface AudienceGrant {
  /** The audience as the client named it, URL-decoded (scheme kept; scope checks ignore it). */
  audience: string;
  permissions: readonly Permission[];
  /** The policy name, or the identity key of a device token. */
  principal: string;
  expiresAtMs: number;
}

/** Who a verified service token speaks for. */
export interface ServicePrincipal {
  policy: AccessPolicy;
}

function unauthorized(message: string): HubError {
  return new HubError('IotHubUnauthorized', message);
}

/**
 * Verifies SAS tokens (reference 1.3): the HMAC over `sr` exactly as sent, the expiry, the scope by
 * path segment against the hub's host name (with or without `:port`), and the key: the identity's own
 * keys, or a shared access policy (`skn`) that has the permission asked for.
 */
export class SasAuthenticator {
  constructor(
    private readonly hostName: string,
    private readonly policies: readonly AccessPolicy[],
    private readonly lookup: IdentityLookup,
    private readonly clock: Clock,
  ) {}

  /**
   * A device or module token presented on CONNECT. Returns the identity and when the token expires
   * (the connection ends then) and whose key signed it (`hub` for a policy's, for `iothub-connection-auth-method`),
   * or throws IotHubUnauthorized.
   */
  authenticateDevice(password: string, deviceId: string, moduleId?: string): { entry: DeviceEntry; expiresAtMs: number; scope: 'device' | 'module' | 'hub' } {
    const token = this.parse(password);
    const entry = this.lookup(identityKey(deviceId, moduleId));
    if (!entry) throw unauthorized(`No identity '${identityKey(deviceId, moduleId)}' is registered.`);
    if (!sasScopeCovers(token.resourceUri, deviceResourceUri(this.hostName, deviceId, moduleId))) {
      throw unauthorized(`The token's scope '${token.resourceUri}' does not cover ${deviceResourceUri(this.hostName, deviceId, moduleId)}.`);
    }
    const keys = token.keyName === undefined ? [entry.auth.primaryKey, entry.auth.secondaryKey] : this.policyKeys(token.keyName, 'DeviceConnect');
    this.verifySignature(token, keys);
    // A module of a disabled device is refused with it.
    if (this.lookup(deviceId)?.status === 'disabled') throw unauthorized(`Device '${deviceId}' is disabled.`);
    const scope = token.keyName !== undefined ? 'hub' : moduleId === undefined ? 'device' : 'module';
    return { entry, expiresAtMs: token.expiry * 1000, scope };
  }

  /**
   * An `Authorization` header of a REST call; the policy must grant `permission`. `resource` is what
   * the call touches, as the service names it below the host (`['devices', id]`, `['devices', id,
   * 'modules', mid]`); a token whose `sr` is narrower than the host is accepted when it covers that
   * by path segment. Without `resource` (the default) the call needs a token for the whole hub.
   */
  authenticateService(header: string | undefined, permission: Permission, resource: readonly string[] = []): ServicePrincipal {
    if (!header) throw unauthorized('The Authorization header is missing. Send a SharedAccessSignature.');
    const token = this.parse(header);
    if (token.keyName === undefined) throw unauthorized('A service token must name its shared access policy (skn).');
    if (!sasScopeCovers(token.resourceUri, [this.hostName, ...resource].join('/'))) {
      const target = resource.length === 0 ? `the hub '${this.hostName}' (this operation needs a token for the whole hub)` : `'${this.hostName}/${resource.join('/')}'`;
      throw unauthorized(`The token's scope '${token.resourceUri}' does not cover ${target}.`);
    }
    return { policy: this.authorizePolicy(token, token.keyName, permission, ['base64']) };
  }

  /**
   * A token put on an AMQP connection for `audience` (CBS put-token). The token's `sr` must cover the
   * audience, which must name this hub. A policy token (`skn`) is signed with the policy key either
   * base64-decoded (azure-iothub) or as UTF-8 text (@azure/event-hubs), and its policy needs
   * ServiceConnect (DeviceConnect for a device audience); a token without `skn` is a device's own.
   * Throws IotHubUnauthorized (or IotHubUnauthorizedAccess for a missing permission).
   */
  authenticateAudience(text: string, audience: string): AudienceGrant {
    const token = this.parse(text);
    let decoded: string;
    try {
      decoded = decodeURIComponent(audience);
    } catch {
      throw unauthorized(`The audience '${audience}' is malformed.`);
    }
    const segments = decoded.replace(/^[a-z]+:\/\//i, '').split('/').filter((s) => s !== '');
    if (!segments[0] || !sasScopeCovers(this.hostName, segments[0])) throw unauthorized(`The audience '${decoded}' does not name this hub '${this.hostName}'.`);
    if (!sasScopeCovers(token.resourceUri, decoded)) throw unauthorized(`The token's scope '${token.resourceUri}' does not cover the audience '${decoded}'.`);
    const expiresAtMs = token.expiry * 1000;
    const device = segments[1]?.toLowerCase() === 'devices' && segments[2] ? { deviceId: segments[2], moduleId: segments[3]?.toLowerCase() === 'modules' ? segments[4] : undefined } : undefined;
    if (token.keyName === undefined) {
      if (!device) throw unauthorized('A token for a service audience must name its shared access policy (skn).');
      const { entry } = this.authenticateDevice(text, device.deviceId, device.moduleId);
      return { audience: decoded, permissions: ['DeviceConnect'], principal: identityKey(entry.deviceId, entry.moduleId), expiresAtMs };
    }
    const policy = this.authorizePolicy(token, token.keyName, device ? 'DeviceConnect' : 'ServiceConnect', ['base64', 'utf8']);
    return { audience: decoded, permissions: policy.permissions, principal: policy.name, expiresAtMs };
  }

  private parse(text: string): SasToken {
    const token = parseSasToken(text);
    if (!token) throw unauthorized('The SharedAccessSignature is malformed.');
    if (token.expiry * 1000 <= this.clock.now()) throw unauthorized('The SharedAccessSignature has expired.');
    return token;
  }

  private policyKeys(name: string, permission: Permission): Array<string | null> {
    const policy = findPolicy(this.policies, name);
    if (!policy) throw unauthorized(`There is no shared access policy named '${name}'.`);
    if (!policy.permissions.includes(permission)) throw unauthorized(`The policy '${policy.name}' does not have the ${permission} permission.`);
    return [policy.primaryKey, policy.secondaryKey];
  }

  /**
   * A policy token (`skn` = `keyName`): the policy must exist, have signed it (its key read as each of
   * `keyForms` allows) and grant `permission` (IotHubUnauthorizedAccess otherwise).
   */
  private authorizePolicy(token: SasToken, keyName: string, permission: Permission, keyForms: readonly SasKeyBytes[]): AccessPolicy {
    const policy = findPolicy(this.policies, keyName);
    if (!policy) throw unauthorized(`There is no shared access policy named '${keyName}'.`);
    this.verifySignature(token, [policy.primaryKey, policy.secondaryKey], keyForms);
    if (!policy.permissions.includes(permission)) {
      throw new HubError('IotHubUnauthorizedAccess', `The policy '${policy.name}' does not have the ${permission} permission.`);
    }
    return policy;
  }

  private verifySignature(token: SasToken, keys: Array<string | null>, keyForms: readonly SasKeyBytes[] = ['base64']): void {
    for (const key of keys) if (key && keyForms.some((form) => sasSignatureMatches(token, key, form))) return;
    throw unauthorized('The SharedAccessSignature is not valid for this key.');
  }
}
