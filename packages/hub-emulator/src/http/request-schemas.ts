import { z } from 'zod';
import { IdentityIdSchema, LIMITS } from '@hubemu/shared';

/**
 * What the REST routes accept beyond the bodies that have their own parser in `@hubemu/shared`
 * (identities, twins, methods, jobs, configurations), checked at the edge before any service runs, so a
 * malformed request is a 400 and never a half-applied write.
 *
 * Strictness: bodies the SDKs build from objects they received (a Device, a whole Twin) are loose,
 * read-only fields are ignored as the service ignores them. `properties` of a twin body is strict:
 * an unknown key there is a mistake worth reporting.
 *
 * Bulk items are loose too: unknown fields are ignored, as the real service's JSON deserializer
 * ignores them. What this file checks of an item (id, importMode, moduleId, eTag) refuses the whole
 * request; the identity fields (status, authentication, capabilities...) are parsed per item
 * (`parseDeviceIdentityBody`), and a bad one is that item's error (400004) while the other items apply.
 */

/** `GET /devices?top=N`. */
export const ListDevicesQuerySchema = z.object({
  top: z.coerce
    .number({ message: 'top must be a number' })
    .int('top must be an integer')
    .min(1, 'top must be at least 1')
    .max(LIMITS.listDevicesMax, `top must be at most ${LIMITS.listDevicesMax}`)
    .optional(),
});

/** The import modes of `POST /devices`, compared case-insensitively (Node sends `Update`, `DeleteIfMatchETag`...). */
export const IMPORT_MODES = ['create', 'update', 'updateIfMatchETag', 'createOrUpdate', 'createOrUpdateIfMatchETag', 'delete', 'deleteIfMatchETag'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

const ImportModeSchema = z.string().transform((value, ctx): ImportMode => {
  const mode = IMPORT_MODES.find((m) => m.toLowerCase() === value.toLowerCase());
  if (mode) return mode;
  const twinModes = ['updatetwin', 'updatetwinifmatchetag'];
  ctx.addIssue({
    code: 'custom',
    message: twinModes.includes(value.toLowerCase())
      ? `importMode '${value}' is not supported by hubemu, update twins with PATCH /twins/{id}`
      : `importMode must be one of ${IMPORT_MODES.join(', ')}`,
  });
  return z.NEVER;
});

/** One ExportImportDevice of a bulk request. Identity fields are checked by the registry service. */
export const ExportImportDeviceSchema = z.looseObject({
  id: IdentityIdSchema,
  importMode: ImportModeSchema,
  moduleId: z.null({ message: 'bulk module operations are not supported by hubemu, use PUT /devices/{id}/modules/{mid}' }).optional(),
  /** The identity etag for the ...IfMatchETag modes (`etag` is accepted too: Node sends the Device's own field). */
  eTag: z.string().nullish(),
  etag: z.string().nullish(),
});
export type ExportImportDevice = z.output<typeof ExportImportDeviceSchema>;

/** `POST /devices`: 1 to 100 items, each id at most once. */
export const BulkRequestSchema = z
  .array(ExportImportDeviceSchema, { message: 'expected a JSON array of devices' })
  .min(1, 'a bulk request needs at least one device')
  .max(LIMITS.bulkMax, `a bulk request takes at most ${LIMITS.bulkMax} devices`)
  .superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `the device '${item.id}' appears more than once` });
      seen.add(item.id);
    });
  });
