import { getOwn, HubError, isJsonObject, setOwn, validateTwinValue, type JsonObject, type JsonValue } from '@hubemu/shared';

/**
 * A configuration's content as leaves: `{"properties.desired.chiller": {"temperature": 66}}` is the
 * leaf `chiller.temperature = 66` of the desired properties. Objects are walked down to their
 * primitives, arrays, `null` (remove the property) and empty objects, so a patch can set exactly what
 * differs. Each leaf keeps its content key (`root`): configurations compete per content key, as whole
 * values ("if two or more configurations target the same twin path, the content from the highest
 * priority configuration applies"; see resolve-content.ts).
 */
export interface Leaf {
  /** Segments below `properties.desired`. */
  readonly path: readonly string[];
  /** `path` joined with `.` (twin keys never contain a dot). */
  readonly key: string;
  readonly value: JsonValue;
  /** The content key it came from, below `properties.desired` (`chiller-water` for `properties.desired.chiller-water`). */
  readonly root: string;
}

const SECTION = 'properties.desired';
const PREFIX = `${SECTION}.`;

function invalid(message: string): HubError {
  return new HubError('InvalidConfigurationContent', message);
}

/**
 * The content keys below `properties.desired` with their values: `properties.desired.fw` is `fw`; the
 * whole section, `properties.desired: {"fw": ..., "mode": ...}`, is accepted as the service accepts it
 * and reads as one content key per property it sets (`fw`, `mode`).
 */
function contentKeys(content: JsonObject): Array<[segments: string[], value: JsonValue, twinPath: string]> {
  const keys: Array<[string[], JsonValue, string]> = [];
  for (const [twinPath, value] of Object.entries(content)) {
    if (twinPath === SECTION) {
      if (!isJsonObject(value)) throw invalid(`The content key '${SECTION}' must hold an object of desired properties.`);
      for (const [key, child] of Object.entries(value)) keys.push([[key], child, `${PREFIX}${key}`]);
      continue;
    }
    if (!twinPath.startsWith(PREFIX)) {
      throw invalid(`The content key '${twinPath}' is not properties.desired or a twin path under it (for example 'properties.desired.firmware').`);
    }
    const segments = twinPath.slice(PREFIX.length).split('.');
    if (segments.some((s) => s === '')) throw invalid(`The content key '${twinPath}' has an empty segment.`);
    keys.push([segments, value as JsonValue, twinPath]);
  }
  return keys;
}

/** The leaves of `deviceContent` / `moduleContent`, checked against the twin rules (throws 400 InvalidConfigurationContent). */
export function contentLeaves(content: JsonObject): Leaf[] {
  const patch: JsonObject = {};
  const leaves: Leaf[] = [];
  const roots = new Set<string>();
  for (const [segments, value, twinPath] of contentKeys(content)) {
    const root = segments.join('.');
    if (roots.has(root)) throw invalid(`The content sets '${twinPath}' twice.`);
    roots.add(root);
    collect(segments, value, root, leaves);
    setPath(patch, segments, value);
  }
  try {
    validateTwinValue('desired', patch, { allowNull: true });
  } catch (error) {
    throw invalid(`The content is not a valid desired-properties patch: ${(error as Error).message}`);
  }
  const seen = new Set<string>();
  for (const leaf of leaves) {
    if (seen.has(leaf.key)) throw invalid(`The content sets 'properties.desired.${leaf.key}' twice.`);
    seen.add(leaf.key);
  }
  if (conflicts(leaves)) throw invalid('The content sets a property and a property inside it; give each path once.');
  return leaves;
}

function collect(path: string[], value: JsonValue, root: string, out: Leaf[]): void {
  if (isJsonObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) collect([...path, key], child, root, out);
    return;
  }
  out.push({ path, key: path.join('.'), value, root });
}

/** Writes `value` at `path` in `target`, creating objects on the way (own properties only: `__proto__` is a key like any other). */
export function setPath(target: JsonObject, path: readonly string[], value: JsonValue): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = getOwn(node, key);
    if (isJsonObject(next)) node = next;
    else {
      const child: JsonObject = {};
      setOwn(node, key, child);
      node = child;
    }
  }
  setOwn(node, path[path.length - 1] as string, value);
}

/** The value at `path` in `source`, or undefined (own properties only, never an inherited member). */
export function getPath(source: JsonObject, path: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = source;
  for (const key of path) {
    if (!isJsonObject(node)) return undefined;
    node = getOwn(node, key);
  }
  return node;
}

/** True when `a` equals `b` or one is an ancestor path of the other (they compete for the same property). */
export function overlaps(a: string, b: string): boolean {
  if (a === b) return true;
  return a.length < b.length ? b.startsWith(`${a}.`) : a.startsWith(`${b}.`);
}

function conflicts(leaves: readonly Leaf[]): boolean {
  const keys = new PathSet();
  for (const leaf of leaves) {
    if (keys.overlaps(leaf.key)) return true;
    keys.add(leaf.key);
  }
  return false;
}

/** A set of leaf keys answering "does this key overlap one of them" without scanning them all. */
export class PathSet {
  private readonly exact = new Set<string>();
  private readonly ancestors = new Set<string>();

  add(key: string): void {
    this.exact.add(key);
    for (let i = key.indexOf('.'); i !== -1; i = key.indexOf('.', i + 1)) this.ancestors.add(key.slice(0, i));
  }

  overlaps(key: string): boolean {
    if (this.exact.has(key) || this.ancestors.has(key)) return true;
    for (let i = key.indexOf('.'); i !== -1; i = key.indexOf('.', i + 1)) if (this.exact.has(key.slice(0, i))) return true;
    return false;
  }
}
