import { etagMatches, HubError } from '@hubemu/shared';
import type { EtagCondition } from './collection.js';

/** The check every store runs before a conditional write. */
export function assertCondition<T>(key: string, current: T | undefined, condition: EtagCondition<T> | undefined): void {
  if (!condition) return;
  if (current === undefined) {
    throw new HubError('PreconditionFailed', `PreconditionFailed, ETag may be invalid. No entity with key '${key}' exists.`);
  }
  if (!etagMatches(condition.ifMatch, condition.etagOf(current))) {
    throw new HubError('PreconditionFailed', 'PreconditionFailed, ETag may be invalid.');
  }
}
