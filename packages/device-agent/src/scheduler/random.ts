/** Seeded randomness, so a fleet run with the same seed makes the same choices. */

export type Random = () => number;

/** mulberry32: a small, fast PRNG with a 32-bit state; returns floats in [0, 1). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a base seed with a key (a device id) into a 32-bit seed (FNV-1a). */
export function deriveSeed(seed: number, key: string): number {
  let hash = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** `base` varied by up to ±`jitter` (a fraction, e.g. 0.2), never negative. */
export function jittered(random: Random, base: number, jitter: number): number {
  if (jitter <= 0 || base <= 0) return Math.max(0, base);
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
