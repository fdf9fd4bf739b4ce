/** `list` with `item` appended, keeping only the newest `max` (a ring buffer for state that is replaced, not mutated). */
export function appendBounded<T>(list: readonly T[], item: T, max: number): T[] {
  const next = list.length >= max ? list.slice(list.length - max + 1) : list.slice();
  next.push(item);
  return next;
}
