import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { validateSectionSize, validateTwinValue, type TwinLimitOptions } from './limits.js';
import { applyMergePatch } from './merge-patch.js';
import { getOwn, setOwn } from './own-keys.js';
import { formatTimestamp } from './time.js';

/**
 * The pure twin rules (reference section 2): merge-patch with null deletion, `$version` bumps,
 * `$metadata` stamping and etags. Every function returns new values; inputs are never mutated,
 * so a refused write leaves the twin exactly as it was.
 */

/** Metadata of one node: `$lastUpdated` always, `$lastUpdatedVersion` on desired nodes. */
export interface MetaNode {
  lastUpdated: string;
  lastUpdatedVersion?: number;
  children?: Record<string, MetaNode>;
}

export interface TwinSection {
  values: JsonObject;
  version: number;
  meta: MetaNode;
}

export interface TwinState {
  tags: JsonObject;
  desired: TwinSection;
  reported: TwinSection;
  /** Top-level `version`: bumps on every write. */
  version: number;
  /** Counter behind the twin `etag`: bumps on service writes (tags, desired), not on reported patches. */
  etag: number;
}

export function newTwinState(nowMs: number): TwinState {
  const stamp = formatTimestamp(nowMs);
  return {
    tags: {},
    // A fresh desired section shows `$lastUpdated` only; `$lastUpdatedVersion` appears once a write stamps a node.
    desired: { values: {}, version: 1, meta: { lastUpdated: stamp } },
    reported: { values: {}, version: 1, meta: { lastUpdated: stamp } },
    version: 2,
    etag: 1,
  };
}

/** `etag`: base64 of the big-endian int64 counter (`AAAAAAAAAAE=` is 1). */
export function twinEtag(counter: number): string {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(BigInt(counter));
  return buf.toString('base64');
}

/** `deviceEtag` and identity etags: base64 of the decimal counter. */
export function identityEtag(counter: number): string {
  return Buffer.from(String(counter), 'utf8').toString('base64');
}

/** True when an `If-Match` value allows a write against `currentEtag` (`*` or the same etag, quoted or not). */
export function etagMatches(ifMatch: string | undefined, currentEtag: string): boolean {
  if (ifMatch === undefined) return true;
  const value = ifMatch.trim();
  if (value === '*' || value === '"*"') return true;
  const unquoted = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  return unquoted === currentEtag;
}

function stampTree(value: JsonValue, stamp: string, version: number | undefined): MetaNode {
  const node: MetaNode = version === undefined ? { lastUpdated: stamp } : { lastUpdated: stamp, lastUpdatedVersion: version };
  if (isJsonObject(value)) {
    const children: Record<string, MetaNode> = {};
    for (const key of Object.keys(value)) setOwn(children, key, stampTree(value[key] as JsonValue, stamp, version));
    node.children = children;
  }
  return node;
}

/** Merges `patch` into `target` (see applyMergePatch) and stamps the metadata of what it changed. */
function mergeInto(target: JsonObject, meta: MetaNode, patch: JsonObject, stamp: string, version: number | undefined): { values: JsonObject; meta: MetaNode } {
  const values = applyMergePatch(target, patch);
  return { values, meta: mergeMeta(target, values, meta, patch, stamp, version) };
}

/** The metadata after `patch` turned `before` into `after`: merged objects keep their children's stamps, replaced values get new ones. */
function mergeMeta(before: JsonObject, after: JsonObject, meta: MetaNode, patch: JsonObject, stamp: string, version: number | undefined): MetaNode {
  const children: Record<string, MetaNode> = { ...(meta.children ?? {}) };
  for (const key of Object.keys(patch)) {
    const change = patch[key] as JsonValue;
    const previous = getOwn(before, key);
    const next = getOwn(after, key);
    if (change === null || next === undefined) delete children[key];
    // Tags carry no metadata, so a missing meta node must not turn a merge into a replacement.
    else if (isJsonObject(change) && isJsonObject(previous) && isJsonObject(next)) setOwn(children, key, mergeMeta(previous, next, getOwn(children, key) ?? { lastUpdated: stamp }, change, stamp, version));
    else setOwn(children, key, stampTree(next, stamp, version));
  }
  const node: MetaNode = version === undefined ? { lastUpdated: stamp } : { lastUpdated: stamp, lastUpdatedVersion: version };
  node.children = children;
  return node;
}

export interface WriteContext extends TwinLimitOptions {
  nowMs: number;
}

/**
 * Applies a merge patch to desired or reported. Validates the patch and the merged result first and
 * throws a HubError (ArgumentInvalid) without changing anything if a limit is broken.
 */
export function patchSection(kind: 'desired' | 'reported', section: TwinSection, patch: unknown, ctx: WriteContext): TwinSection {
  validateTwinValue(kind, patch, { ...ctx, allowNull: true });
  const version = section.version + 1;
  const merged = mergeInto(section.values, section.meta, patch, formatTimestamp(ctx.nowMs), kind === 'desired' ? version : undefined);
  validateSectionSize(kind, merged.values);
  return { values: merged.values, version, meta: merged.meta };
}

/** Replaces desired or reported as a whole (service PUT of desired). */
export function replaceSection(kind: 'desired' | 'reported', section: TwinSection, doc: unknown, ctx: WriteContext): TwinSection {
  validateTwinValue(kind, doc, { ...ctx, allowNull: false });
  validateSectionSize(kind, doc);
  const version = section.version + 1;
  const values = cloneJson(doc);
  return { values, version, meta: stampTree(values, formatTimestamp(ctx.nowMs), kind === 'desired' ? version : undefined) };
}

/** Tags merge like properties but carry no metadata or version. */
export function patchTags(tags: JsonObject, patch: unknown, ctx: WriteContext): JsonObject {
  validateTwinValue('tags', patch, { ...ctx, allowNull: true });
  const merged = mergeInto(tags, { lastUpdated: '' }, patch, '', undefined).values;
  validateSectionSize('tags', merged);
  return merged;
}

export function replaceTags(doc: unknown, ctx: WriteContext): JsonObject {
  validateTwinValue('tags', doc, { ...ctx, allowNull: false });
  validateSectionSize('tags', doc);
  return cloneJson(doc);
}

/** How a write changes tags or desired: merge a patch, replace the section, or clear it (every key removed). */
export type SectionChange = { patch: JsonObject } | { replace: JsonObject } | { clear: true };

/** The change a write makes, as the service and the notifications describe it. */
export interface TwinWrite {
  tags?: SectionChange;
  desired?: SectionChange;
  reported?: { patch: JsonObject };
}

/** A clear as the merge patch that nulls every key the section holds (what the device is notified of). */
function asPatchOrReplace(change: SectionChange, current: JsonObject): { patch: JsonObject } | { replace: JsonObject } {
  if (!('clear' in change)) return change;
  const patch: JsonObject = {};
  for (const key of Object.keys(current)) patch[key] = null;
  return { patch };
}

export interface TwinWriteResult {
  state: TwinState;
  /** The desired notification body (patch as applied, or the full new document) without `$version`; undefined when desired did not change. */
  desiredNotification?: JsonObject;
}

/** Applies one write atomically: every part validates before any part takes effect. */
export function applyTwinWrite(state: TwinState, write: TwinWrite, ctx: WriteContext): TwinWriteResult {
  let { tags, desired, reported } = state;
  let desiredNotification: JsonObject | undefined;
  if (write.tags) {
    const change = asPatchOrReplace(write.tags, tags);
    tags = 'patch' in change ? patchTags(tags, change.patch, ctx) : replaceTags(change.replace, ctx);
  }
  if (write.desired) {
    const change = asPatchOrReplace(write.desired, desired.values);
    if ('patch' in change) {
      desired = patchSection('desired', desired, change.patch, ctx);
      desiredNotification = cloneJson(change.patch);
    } else {
      desired = replaceSection('desired', desired, change.replace, ctx);
      desiredNotification = cloneJson(desired.values);
    }
  }
  if (write.reported) reported = patchSection('reported', reported, write.reported.patch, ctx);
  const serviceWrite = write.tags !== undefined || write.desired !== undefined;
  const next: TwinState = {
    tags,
    desired,
    reported,
    version: state.version + 1,
    etag: serviceWrite ? state.etag + 1 : state.etag,
  };
  return desiredNotification === undefined ? { state: next } : { state: next, desiredNotification };
}

function renderMeta(meta: MetaNode, values: JsonValue): JsonObject {
  const node: JsonObject = { $lastUpdated: meta.lastUpdated };
  if (meta.lastUpdatedVersion !== undefined) node.$lastUpdatedVersion = meta.lastUpdatedVersion;
  if (isJsonObject(values)) {
    for (const key of Object.keys(values)) {
      const child = meta.children && getOwn(meta.children, key);
      if (child) setOwn(node, key, renderMeta(child, values[key] as JsonValue));
    }
  }
  return node;
}

/** A section as the service shows it: values, `$metadata` and `$version`. */
export function renderServiceSection(section: TwinSection): JsonObject {
  return { ...cloneJson(section.values), $metadata: renderMeta(section.meta, section.values), $version: section.version };
}

/** A section as the device sees it: values and `$version`, no `$metadata`. */
export function renderDeviceSection(section: TwinSection): JsonObject {
  return { ...cloneJson(section.values), $version: section.version };
}
