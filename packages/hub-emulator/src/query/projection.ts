import { setOwn } from '@hubemu/shared';
import type { Collection, Projection } from './ast.js';
import { compileValue, type Evaluator } from './compile-expression.js';

/** Turns a matching document into a result item. */
export type Projector = (doc: object) => unknown;

/**
 * `SELECT *`: the document as given. The service never returns a device's `jobs`, so a twin that
 * carries one is copied without it.
 */
export function selectStar(collection: Collection): Projector {
  if (collection !== 'devices') return (doc) => doc;
  return (doc) => {
    if (!('jobs' in doc)) return doc;
    const { jobs: _jobs, ...rest } = doc as Record<string, unknown>;
    return rest;
  };
}

/** A projection list: `{ [name]: value }` per document (an own property whatever the name, `__proto__` included); undefined values are left out. */
export function compileProjection(projections: readonly Projection[]): Projector {
  const fields: Array<readonly [string, Evaluator]> = projections.map((p) => [p.name, compileValue(p.expr)] as const);
  return (doc) => {
    const out: Record<string, unknown> = {};
    for (const [name, evaluate] of fields) {
      const value = evaluate(doc);
      if (value !== undefined) setOwn(out, name, value);
    }
    return out;
  };
}
