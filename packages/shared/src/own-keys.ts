/**
 * Keys from untrusted JSON as plain data. In JavaScript `obj[key] = v` with the key `__proto__`
 * replaces the object's prototype instead of storing a property, and `obj[key]` with `constructor`
 * reads a function every object inherits. The twin key rule refuses these names (see limits.ts);
 * these helpers make every write and read of a JSON key touch own properties only, so a name that
 * reaches a merge, a clone or a path walk (a stored record written before the rule, a query alias)
 * can never change or read a prototype.
 */

/** Key names that reach the prototype chain; refused in twins, configurations and labels (400004). */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}

/** `obj[key] = value` as an own data property, also when `key` is `__proto__`. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** `obj[key]` when `obj` has it as its own property, else undefined (never an inherited member). */
export function getOwn<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
