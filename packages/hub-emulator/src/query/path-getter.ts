/**
 * Fast property-path readers. A path reads only plain objects: reading through a string, an array
 * or a missing property yields `undefined`, and names that exist on Object.prototype or
 * Array.prototype (`constructor`, `length`, ...) are read as own properties only.
 */
export type Getter = (doc: object) => unknown;

type Bag = Record<string, unknown>;

function needsOwnCheck(segment: string): boolean {
  return segment in Object.prototype || segment in Array.prototype || /^\d+$/u.test(segment);
}

export function makeGetter(segments: readonly string[]): Getter {
  if (segments.some(needsOwnCheck)) return safeGetter(segments);
  const [a, b, c, d, e] = segments as [string, string, string, string, string];
  // Objects only: `typeof x === 'object'` admits arrays, but none of these names exist on arrays.
  switch (segments.length) {
    case 1:
      return (doc) => (doc as Bag)[a];
    case 2:
      return (doc) => {
        const x = (doc as Bag)[a];
        return typeof x === 'object' && x !== null ? (x as Bag)[b] : undefined;
      };
    case 3:
      return (doc) => {
        const x = (doc as Bag)[a];
        if (typeof x !== 'object' || x === null) return undefined;
        const y = (x as Bag)[b];
        return typeof y === 'object' && y !== null ? (y as Bag)[c] : undefined;
      };
    case 4:
      return (doc) => {
        const x = (doc as Bag)[a];
        if (typeof x !== 'object' || x === null) return undefined;
        const y = (x as Bag)[b];
        if (typeof y !== 'object' || y === null) return undefined;
        const z = (y as Bag)[c];
        return typeof z === 'object' && z !== null ? (z as Bag)[d] : undefined;
      };
    case 5:
      return (doc) => {
        const x = (doc as Bag)[a];
        if (typeof x !== 'object' || x === null) return undefined;
        const y = (x as Bag)[b];
        if (typeof y !== 'object' || y === null) return undefined;
        const z = (y as Bag)[c];
        if (typeof z !== 'object' || z === null) return undefined;
        const w = (z as Bag)[d];
        return typeof w === 'object' && w !== null ? (w as Bag)[e] : undefined;
      };
    default:
      return (doc) => {
        let value: unknown = doc;
        for (const segment of segments) {
          if (typeof value !== 'object' || value === null) return undefined;
          value = (value as Bag)[segment];
        }
        return value;
      };
  }
}

function safeGetter(segments: readonly string[]): Getter {
  return (doc) => {
    let value: unknown = doc;
    for (const segment of segments) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      if (!Object.hasOwn(value, segment)) return undefined;
      value = (value as Bag)[segment];
    }
    return value;
  };
}
