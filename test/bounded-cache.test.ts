/**
 * The bounded cache behind yoga's parsed-document cache: it keeps at most N
 * entries (least recently used out first) and never stores a long key, so
 * distinct hostile documents cannot grow memory without bound.
 */
import { describe, expect, it } from 'vitest';
import { createBoundedCache } from '../src/lib/bounded-cache.ts';

describe('createBoundedCache', () => {
  it('keeps at most maxEntries, dropping the least recently used first', () => {
    const cache = createBoundedCache<number>({ maxEntries: 2, maxKeyLength: 100 });
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // 'a' is now the most recently used
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('never stores a key longer than maxKeyLength', () => {
    const cache = createBoundedCache<string>({ maxEntries: 10, maxKeyLength: 4 });
    cache.set('long key', 'x');
    cache.set('tiny', 'y');
    expect(cache.get('long key')).toBeUndefined();
    expect(cache.get('tiny')).toBe('y');
    expect(cache.size).toBe(1);
  });

  it('replaces the value of a key already present without growing', () => {
    const cache = createBoundedCache<number>({ maxEntries: 2, maxKeyLength: 10 });
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.get('a')).toBe(2);
    expect(cache.size).toBe(1);
  });
});
