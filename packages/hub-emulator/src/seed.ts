import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { findPolicy, IdentityIdSchema, identityKey, JsonObjectSchema, parseWithSchema, type AccessPolicy, type JsonObject } from '@hubemu/shared';
import { ConfigurationBodySchema, ConfigurationIdSchema } from './configurations/configuration-schemas.js';
import type { ConfigurationService } from './configurations/configuration-service.js';
import type { RegistryService } from './registry/registry-service.js';
import type { TwinService } from './twin/twin-service.js';

// Tags and properties pass to the twin rules as written (z.record would drop a `__proto__` key silently).

const SeedModuleSchema = z.strictObject({
  moduleId: IdentityIdSchema,
  primaryKey: z.string().optional(),
  secondaryKey: z.string().optional(),
  tags: JsonObjectSchema.optional(),
  desired: JsonObjectSchema.optional(),
  reported: JsonObjectSchema.optional(),
});

const SeedDeviceSchema = z.strictObject({
  /** With `count`, `{n}` in the id is replaced by 1..count (`sensor-{n}`). */
  deviceId: z.string().min(1),
  count: z.number().int().min(1).max(1_000_000).optional(),
  status: z.enum(['enabled', 'disabled']).optional(),
  primaryKey: z.string().optional(),
  secondaryKey: z.string().optional(),
  iotEdge: z.boolean().optional(),
  tags: JsonObjectSchema.optional(),
  desired: JsonObjectSchema.optional(),
  /** Reported properties as if the device had already reported them. */
  reported: JsonObjectSchema.optional(),
  modules: z.array(SeedModuleSchema).optional(),
});

const base64Key = z.string().min(1).refine((key) => /^[A-Za-z0-9+/]+={0,2}$/.test(key), { message: 'must be a base64 key' });

/** A shared access policy besides the well-known ones (or replacing one of the same name). */
const SeedPolicySchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, _ . and -'),
  primaryKey: base64Key,
  secondaryKey: base64Key.optional(),
  permissions: z.array(z.enum(['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'])).min(1),
});

/** An automatic device configuration as `PUT /configurations/{id}` takes it, with its id. */
const SeedConfigurationSchema = ConfigurationBodySchema.extend({ id: ConfigurationIdSchema });

/**
 * A seed (`--seed fleet.json|yaml`, `startHub({ seed })`): devices (with modules, tags, desired and
 * reported properties), automatic device configurations and shared access policies, created at start
 * and again on every reset.
 */
export const SeedSchema = z.strictObject({
  devices: z.array(SeedDeviceSchema).default([]),
  configurations: z.array(SeedConfigurationSchema).default([]),
  policies: z.array(SeedPolicySchema).default([]),
});
export type Seed = z.output<typeof SeedSchema>;
/** A seed as written (lists may be left out). */
export type SeedInput = z.input<typeof SeedSchema>;

export function parseSeed(value: unknown): Seed {
  return parseWithSchema(SeedSchema, value, 'seed');
}

/** The hub's policies with the seed's: a seed policy replaces a well-known one of the same name (case-insensitive). */
export function withSeedPolicies(policies: readonly AccessPolicy[], seed: Seed | undefined): readonly AccessPolicy[] {
  if (!seed || seed.policies.length === 0) return policies;
  const added = seed.policies.map((p) => ({ name: p.name, primaryKey: p.primaryKey, secondaryKey: p.secondaryKey ?? p.primaryKey, permissions: p.permissions }));
  return [...policies.filter((p) => !findPolicy(added, p.name)), ...added];
}

/**
 * A seeded identity's keys: the seed's, else derived from its id (the same at every start and reset, so a
 * connection string a test took stays good across `reset()`; docs/compatibility.md).
 */
function keys(derived: Map<string, string>, key: string, primaryKey?: string, secondaryKey?: string): object {
  const derive = (which: string): string => {
    const name = `${which}:${key}`;
    let value = derived.get(name);
    if (value === undefined) derived.set(name, (value = createHmac('sha256', SEED_KEY_SECRET).update(name).digest('base64')));
    return value;
  };
  return { authentication: { type: 'sas', symmetricKey: { primaryKey: primaryKey ?? derive('primary'), secondaryKey: secondaryKey ?? derive('secondary') } } };
}

const SEED_KEY_SECRET = 'hubemu-seeded-identity-keys';
/** Derived keys per seed, so a reset of 10,000 devices does not derive them again. */
const derivedKeys = new WeakMap<Seed, Map<string, string>>();

/** Creates what the seed describes (policies are the authenticator's, see withSeedPolicies). Runs through the services, so every rule and limit applies. */
export function applySeed(seed: Seed, registry: RegistryService, twins: TwinService, configurations: ConfigurationService): number {
  let created = 0;
  const derived = derivedKeys.get(seed) ?? new Map<string, string>();
  derivedKeys.set(seed, derived);
  for (const device of seed.devices) {
    const ids = device.count === undefined ? [device.deviceId] : Array.from({ length: device.count }, (_, i) => device.deviceId.replaceAll('{n}', String(i + 1)));
    for (const deviceId of ids) {
      registry.createDevice(deviceId, {
        ...(device.status ? { status: device.status } : {}),
        ...(device.iotEdge ? { capabilities: { iotEdge: true } } : {}),
        ...keys(derived, deviceId, device.primaryKey, device.secondaryKey),
      });
      seedTwin(twins, deviceId, undefined, device);
      for (const module of device.modules ?? []) {
        registry.putModule(deviceId, module.moduleId, keys(derived, identityKey(deviceId, module.moduleId), module.primaryKey, module.secondaryKey));
        seedTwin(twins, deviceId, module.moduleId, module);
      }
      created += 1;
    }
  }
  for (const { id, ...body } of seed.configurations) configurations.put(id, body);
  return created;
}

function seedTwin(twins: TwinService, deviceId: string, moduleId: string | undefined, spec: { tags?: JsonObject; desired?: JsonObject; reported?: JsonObject }): void {
  if (spec.tags || spec.desired) {
    twins.write(deviceId, moduleId, { ...(spec.tags ? { tags: { patch: spec.tags } } : {}), ...(spec.desired ? { desired: { patch: spec.desired } } : {}) }, { source: 'seed' });
  }
  if (spec.reported) twins.write(deviceId, moduleId, { reported: { patch: spec.reported } }, { source: 'seed' });
}
