/**
 * A small least-recently-used cache with two bounds: how many entries it
 * keeps, and how long a key may be to be kept at all. Used for parsed
 * GraphQL documents, whose keys are client-chosen texts: a hostile client
 * sending many large distinct documents must not fill memory with their ASTs.
 */

export interface BoundedCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  readonly size: number;
}

export interface BoundedCacheOptions {
  /** Entries kept; the least recently used one goes first. */
  readonly maxEntries: number;
  /** Longer keys are never stored (the value is simply recomputed each time). */
  readonly maxKeyLength: number;
}

export function createBoundedCache<T>({ maxEntries, maxKeyLength }: BoundedCacheOptions): BoundedCache<T> {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest entry first.
  const entries = new Map<string, T>();
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      if (key.length > maxKeyLength || maxEntries <= 0) return;
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
