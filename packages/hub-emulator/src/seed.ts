import { z } from 'zod';
import { IdentityIdSchema, JsonObjectSchema, parseWithSchema, type JsonObject } from '@hubemu/shared';
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

/** A seed file (`--seed fleet.json|yaml`): devices, tags and desired properties created at start. */
export const SeedSchema = z.strictObject({
  devices: z.array(SeedDeviceSchema).default([]),
});
export type Seed = z.infer<typeof SeedSchema>;

export function parseSeed(value: unknown): Seed {
  return parseWithSchema(SeedSchema, value, 'seed');
}

function keys(primaryKey?: string, secondaryKey?: string): object {
  return primaryKey || secondaryKey ? { authentication: { type: 'sas', symmetricKey: { primaryKey: primaryKey ?? '', secondaryKey: secondaryKey ?? '' } } } : {};
}

/** Creates what the seed describes. Runs through the services, so every rule and limit applies. */
export function applySeed(seed: Seed, registry: RegistryService, twins: TwinService): number {
  let created = 0;
  for (const device of seed.devices) {
    const ids = device.count === undefined ? [device.deviceId] : Array.from({ length: device.count }, (_, i) => device.deviceId.replaceAll('{n}', String(i + 1)));
    for (const deviceId of ids) {
      registry.createDevice(deviceId, {
        ...(device.status ? { status: device.status } : {}),
        ...(device.iotEdge ? { capabilities: { iotEdge: true } } : {}),
        ...keys(device.primaryKey, device.secondaryKey),
      });
      seedTwin(twins, deviceId, undefined, device);
      for (const module of device.modules ?? []) {
        registry.putModule(deviceId, module.moduleId, keys(module.primaryKey, module.secondaryKey));
        seedTwin(twins, deviceId, module.moduleId, module);
      }
      created += 1;
    }
  }
  return created;
}

function seedTwin(twins: TwinService, deviceId: string, moduleId: string | undefined, spec: { tags?: JsonObject; desired?: JsonObject; reported?: JsonObject }): void {
  if (spec.tags || spec.desired) {
    twins.write(deviceId, moduleId, { ...(spec.tags ? { tags: { patch: spec.tags } } : {}), ...(spec.desired ? { desired: { patch: spec.desired } } : {}) }, { source: 'seed' });
  }
  if (spec.reported) twins.write(deviceId, moduleId, { reported: { patch: spec.reported } }, { source: 'seed' });
}
