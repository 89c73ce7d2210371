/**
 * Canonical keys: the same parameters always give the same string, whatever
 * the order of object keys, so equal topics share one upstream subscription.
 */

/** Deeper values are not parameters anybody sends; they get no key (callers treat them as unshareable). */
export const MAX_CANONICAL_DEPTH = 32;

export class TooDeepError extends Error {
  constructor() {
    super(`value nested deeper than ${MAX_CANONICAL_DEPTH} levels`);
    this.name = 'TooDeepError';
  }
}

/** The canonical key of a JSON-like value; throws TooDeepError past MAX_CANONICAL_DEPTH. */
export function canonicalKey(value: unknown): string {
  return JSON.stringify(sortDeep(value, 0));
}

/** `canonicalKey`, or undefined for a value too deep to key. */
export function tryCanonicalKey(value: unknown): string | undefined {
  try {
    return canonicalKey(value);
  } catch (error) {
    if (error instanceof TooDeepError) return undefined;
    throw error;
  }
}

function sortDeep(value: unknown, depth: number): unknown {
  if (depth > MAX_CANONICAL_DEPTH) throw new TooDeepError();
  if (Array.isArray(value)) return value.map((item) => sortDeep(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortDeep(v, depth + 1)]));
  }
  return value;
}
