import { HubError } from './errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { isReservedKey } from './own-keys.js';

/** Twin and protocol limits of the real service (reference section 3). */
export const LIMITS = {
  tagsBytes: 8 * 1024,
  desiredBytes: 32 * 1024,
  reportedBytes: 32 * 1024,
  propertyBytes: 4 * 1024,
  stringBytes: 4 * 1024,
  keyBytes: 1024,
  maxDepth: 10,
  minInteger: -4503599627370496,
  maxInteger: 4503599627370495,
  idLength: 128,
  methodPayloadBytes: 128 * 1024,
  /** Nesting of a direct-method payload (objects and arrays); Json.NET's default MaxDepth. */
  methodPayloadDepth: 64,
  queryLength: 8192,
  queryPageSize: 100,
  listDevicesMax: 1000,
  bulkMax: 100,
  maxConfigurations: 100,
  maxCustomMetrics: 5,
} as const;

export type TwinSectionName = 'tags' | 'desired' | 'reported';

export interface TwinLimitOptions {
  /** Arrays have been accepted by the real service since 2021; set to refuse them as the old service did. */
  rejectArrays?: boolean;
}

const SECTION_LIMIT: Record<TwinSectionName, number> = {
  tags: LIMITS.tagsBytes,
  desired: LIMITS.desiredBytes,
  reported: LIMITS.reportedBytes,
};

// C0 and C1 control characters, '.', '$' and space are not allowed in keys.
const BAD_KEY_CHAR = /[\u0000-\u001f\u007f-\u009f.$ ]/;

function invalid(section: TwinSectionName, message: string): HubError {
  return new HubError('ArgumentInvalid', `Invalid ${section === 'tags' ? 'tags' : `${section} properties`}: ${message}`);
}

/** Size as the service counts it: key lengths plus values (strings in characters, numbers 8, booleans 4). */
export function jsonSize(value: JsonValue): number {
  if (value === null) return 0;
  switch (typeof value) {
    case 'string':
      return value.length;
    case 'number':
      return 8;
    case 'boolean':
      return 4;
    default:
      break;
  }
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + jsonSize(v), 0);
  let size = 0;
  for (const key of Object.keys(value)) size += key.length + jsonSize(value[key] as JsonValue);
  return size;
}

/**
 * Checks one value (a patch or a whole section) against the key, value and depth rules. `allowNull`
 * is true for patches, where null deletes a key.
 */
export function validateTwinValue(
  section: TwinSectionName,
  doc: unknown,
  options: TwinLimitOptions & { allowNull: boolean },
): asserts doc is JsonObject {
  if (!isJsonObject(doc)) throw invalid(section, 'the document must be a JSON object.');
  // The section object itself is level 0: the docs' valid example nests ten objects (one...ten) in tags.
  walk(section, doc, 0, '', options);
}

/** `depth` is the nesting level of `obj`: 0 for the section itself, 1 for an object value of a top-level property. */
function walk(section: TwinSectionName, obj: JsonObject, depth: number, path: string, options: TwinLimitOptions & { allowNull: boolean }): void {
  for (const key of Object.keys(obj)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key.length === 0) throw invalid(section, `an empty property name is not allowed (under '${path || 'root'}').`);
    if (Buffer.byteLength(key, 'utf8') > LIMITS.keyBytes) throw invalid(section, `the property name '${key.slice(0, 40)}...' is longer than ${LIMITS.keyBytes} bytes.`);
    if (BAD_KEY_CHAR.test(key)) throw invalid(section, `the property name '${at}' contains '.', '$', a space or a control character.`);
    if (isReservedKey(key)) throw invalid(section, `the property name '${at}' is reserved (__proto__, constructor and prototype are not allowed).`);
    checkValue(section, obj[key] as JsonValue, depth, at, options);
  }
}

/**
 * `depth` is the level of the object or array holding `value`. An object or an array value is one
 * level deeper (an array is a level, as an object is), so nesting stops at LIMITS.maxDepth whatever
 * it is made of and the recursion here, and in every later clone, stays shallow.
 */
function checkValue(section: TwinSectionName, value: JsonValue, depth: number, at: string, options: TwinLimitOptions & { allowNull: boolean }): void {
  if (value === null) {
    if (!options.allowNull) throw invalid(section, `'${at}' is null, and null is only allowed in a patch, where it deletes the property.`);
    return;
  }
  switch (typeof value) {
    case 'string':
      if (Buffer.byteLength(value, 'utf8') > LIMITS.stringBytes) throw invalid(section, `the string value of '${at}' is longer than ${LIMITS.stringBytes} bytes.`);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(section, `'${at}' is not a finite number.`);
      // Every double this large is a whole number, so the range of integers bounds all numbers.
      if (value < LIMITS.minInteger || value > LIMITS.maxInteger) {
        throw invalid(section, `the number ${value} of '${at}' is outside the range ${LIMITS.minInteger} to ${LIMITS.maxInteger}.`);
      }
      return;
    case 'boolean':
      return;
    default:
      break;
  }
  const level = depth + 1;
  if (level > LIMITS.maxDepth) {
    throw invalid(section, `'${at}' nests deeper than the maximum depth of ${LIMITS.maxDepth} levels (objects and arrays each count as a level).`);
  }
  if (Array.isArray(value)) {
    if (options.rejectArrays) throw invalid(section, `'${at}' is an array, and arrays are not supported.`);
    value.forEach((item, index) => {
      if (item === null) return; // null is a value inside an array, not a deletion
      checkValue(section, item, level, `${at}[${index}]`, { ...options, allowNull: true });
    });
    return;
  }
  walk(section, value, level, at, options);
}

/** Checks a section's total size and each top-level property's size after a write. */
export function validateSectionSize(section: TwinSectionName, doc: JsonObject): void {
  let total = 0;
  for (const key of Object.keys(doc)) {
    const size = key.length + jsonSize(doc[key] as JsonValue);
    if (size > LIMITS.propertyBytes) {
      throw invalid(section, `the property '${key}' is ${size} bytes, and each property is limited to ${LIMITS.propertyBytes} bytes.`);
    }
    total += size;
  }
  const limit = SECTION_LIMIT[section];
  if (total > limit) throw invalid(section, `the ${section} section would be ${total} bytes, and the limit is ${limit} bytes.`);
}
