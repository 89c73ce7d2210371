/**
 * Admission of private upstream connections: the two small structures the
 * gateway uses to keep clients from making it hammer the exchange.
 *
 * - a token bucket, for the global rate of new handshakes (refused at once
 *   when empty with `tryTake`, or queued behind earlier ones with `reserve`);
 * - an expiring set with a size bound, for credentials the exchange refused
 *   recently (they fail fast instead of costing another handshake).
 *
 * Both read time through an injectable clock; neither owns a timer. The
 * bucket itself is the shared one of `lib/token-bucket.ts`.
 */
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts';

export interface HandshakeBudgetOptions {
  /** New handshakes per second (0: none, the burst is all there is). */
  readonly ratePerSecond: number;
  /** Handshakes allowed back to back, and available at start. */
  readonly burst: number;
  readonly now: () => number;
}

/** The global budget of private handshakes: new connections `tryTake`, reconnects `reserve`. */
export function createHandshakeBudget(options: HandshakeBudgetOptions): TokenBucket {
  return createTokenBucket(options);
}

export interface ExpiringSet {
  /** Adds (or renews) `key` for the set's time to live; evicts the oldest entry when full. */
  add(key: string): void;
  /** Whether `key` is present and unexpired. */
  has(key: string): boolean;
  /** Unexpired entries. */
  size(): number;
}

export interface ExpiringSetOptions {
  readonly ttlMs: number;
  readonly maxSize: number;
  readonly now: () => number;
}

/**
 * Every entry lives equally long, so insertion order is expiry order: pruning
 * pops expired entries from the front, and a full set drops its oldest.
 */
export function createExpiringSet(options: ExpiringSetOptions): ExpiringSet {
  const { ttlMs, maxSize, now } = options;
  const expiries = new Map<string, number>();
  const prune = () => {
    const t = now();
    for (const [key, until] of expiries) {
      if (until > t) break;
      expiries.delete(key);
    }
  };
  return {
    add(key) {
      prune();
      expiries.delete(key);
      while (expiries.size >= maxSize && expiries.size > 0) expiries.delete(expiries.keys().next().value as string);
      if (maxSize > 0) expiries.set(key, now() + ttlMs);
    },
    has(key) {
      prune();
      return expiries.has(key);
    },
    size() {
      prune();
      return expiries.size;
    },
  };
}
