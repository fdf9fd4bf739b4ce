/**
 * The well-known shared access policies (like Azurite's devstoreaccount1): fixed, documented keys so
 * `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=...` works out of the box.
 * These keys are public. Never use them for anything but local development and tests.
 */

export type Permission = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';

export interface AccessPolicy {
  name: string;
  primaryKey: string;
  secondaryKey: string;
  permissions: readonly Permission[];
}

export const WELL_KNOWN_POLICIES: readonly AccessPolicy[] = [
  {
    name: 'iothubowner',
    primaryKey: 'aHViZW11LWlvdGh1Ym93bmVyLXByaW1hcnkta2V5LTE=',
    secondaryKey: 'aHViZW11LWlvdGh1Ym93bmVyLXNlY29uZGFyeS1rZXk=',
    permissions: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
  },
  {
    name: 'service',
    primaryKey: 'aHViZW11LXNlcnZpY2UtcG9saWN5LXByaW1hcnkta2V5',
    secondaryKey: 'aHViZW11LXNlcnZpY2UtcG9saWN5LXNlY29uZGFyeS1r',
    permissions: ['ServiceConnect'],
  },
  {
    name: 'device',
    primaryKey: 'aHViZW11LWRldmljZS1wb2xpY3ktcHJpbWFyeS1rZXk=',
    secondaryKey: 'aHViZW11LWRldmljZS1wb2xpY3ktc2Vjb25kYXJ5LWs=',
    permissions: ['DeviceConnect'],
  },
  {
    name: 'registryRead',
    primaryKey: 'aHViZW11LXJlZ2lzdHJ5UmVhZC1wcmltYXJ5LWtleQ==',
    secondaryKey: 'aHViZW11LXJlZ2lzdHJ5UmVhZC1zZWNvbmRhcnkta2V5',
    permissions: ['RegistryRead'],
  },
  {
    name: 'registryReadWrite',
    primaryKey: 'aHViZW11LXJlZ2lzdHJ5UmVhZFdyaXRlLXByaW1hcnk=',
    secondaryKey: 'aHViZW11LXJlZ2lzdHJ5UmVhZFdyaXRlLXNlY29uZA==',
    permissions: ['RegistryRead', 'RegistryWrite'],
  },
];

export function findPolicy(policies: readonly AccessPolicy[], name: string): AccessPolicy | undefined {
  return policies.find((p) => p.name.toLowerCase() === name.toLowerCase());
}
