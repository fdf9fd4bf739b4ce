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
  /** Configurations whose every content key is in effect (and those with no content at all): `Applied`; the others are `Targeted`. */
  readonly applied: ReadonlySet<string>;
}

/** A configuration's leaves grouped by the content key they come from. */
function byRoot(leaves: readonly Leaf[]): Map<string, Leaf[]> {
  const roots = new Map<string, Leaf[]>();
  for (const leaf of leaves) {
    let list = roots.get(leaf.root);
    if (!list) roots.set(leaf.root, (list = []));
    list.push(leaf);
  }
  return roots;
}

/**
 * Which configuration sets which property of one twin. `ranked` holds the configurations targeting
 * the twin, highest precedence first (priority, then the most recently created). Content keys compete
 * as whole values: a content key (`fw` for `properties.desired.fw`) is taken unless a higher
 * configuration already took the same key, a key inside it or a key that contains it; the winner's
 * value is applied whole, nothing of the loser's value is. Keys that do not overlap merge, whichever
 * configuration they come from. A configuration that lost any of its content keys is only `Targeted`.
 */
export function resolveContent(ranked: readonly RankedConfiguration[]): Resolution {
  const leaves = new Map<string, EffectiveLeaf>();
  const applied = new Set<string>();
  const taken = new PathSet();
  for (const configuration of ranked) {
    const roots = byRoot(configuration.leaves);
    // Checked against higher configurations only: one configuration's own keys never compete.
    const won = [...roots.keys()].filter((root) => !taken.overlaps(root));
    for (const root of won) {
      taken.add(root);
      for (const leaf of roots.get(root) ?? []) {
        leaves.set(leaf.key, { path: leaf.path, key: leaf.key, value: leaf.value, owner: configuration.id, root: leaf.root });
      }
    }
    if (won.length === roots.size) applied.add(configuration.id);
  }
  return { leaves, applied };
}
