import type { JsonValue } from '@hubemu/shared';
import { PathSet, type Leaf } from './content-leaves.js';

/** A configuration that targets a twin, with its content as leaves. */
export interface RankedConfiguration {
  readonly id: string;
  readonly leaves: readonly Leaf[];
}

export interface EffectiveLeaf {
  readonly path: readonly string[];
  readonly key: string;
  readonly value: JsonValue;
  /** The configuration whose value wins. */
  readonly owner: string;
  /** The content key of that configuration the leaf belongs to. */
  readonly root: string;
}

export interface Resolution {
  /** What the twin's desired properties should hold, by leaf key. */
  readonly leaves: ReadonlyMap<string, EffectiveLeaf>;
  /** Configurations with at least one leaf in effect (and those with no content at all): `Applied`; the others are `Targeted`. */
  readonly applied: ReadonlySet<string>;
}

/**
 * Which configuration sets which property of one twin. `ranked` holds the configurations targeting
 * the twin, highest precedence first (priority, then the most recently created). A leaf is taken
 * unless a higher configuration already owns the same property, a property inside it, or one that
 * contains it; a configuration whose every leaf is taken is only `Targeted`.
 */
export function resolveContent(ranked: readonly RankedConfiguration[]): Resolution {
  const leaves = new Map<string, EffectiveLeaf>();
  const applied = new Set<string>();
  const taken = new PathSet();
  for (const configuration of ranked) {
    if (configuration.leaves.length === 0) {
      applied.add(configuration.id);
      continue;
    }
    const mine: Leaf[] = [];
    for (const leaf of configuration.leaves) if (!taken.overlaps(leaf.key)) mine.push(leaf);
    for (const leaf of mine) {
      taken.add(leaf.key);
      leaves.set(leaf.key, { path: leaf.path, key: leaf.key, value: leaf.value, owner: configuration.id, root: leaf.root });
    }
    if (mine.length > 0) applied.add(configuration.id);
  }
  return { leaves, applied };
}
