/**
 * Replayed batches: the lists of trades a resume's replay gives its
 * subscriber (`resume.ts`), oldest first. The contract has a replay oldest
 * first whatever the delivery options, so a throttle (`throttle.ts`) passes
 * such a batch on as it is, in its place, instead of merging it into a
 * window listed newest first; live trades after it are throttled as usual.
 * The mark is a WeakSet: nothing is added to the list itself.
 */

const replayed = new WeakSet<object>();

/** Marks `batch` as a replayed one (returned as it is). */
export function markReplayed<T extends object>(batch: T): T {
  replayed.add(batch);
  return batch;
}

/** Whether `value` is a batch a replay gave. */
export const isReplayed = (value: unknown): boolean => typeof value === 'object' && value !== null && replayed.has(value);
