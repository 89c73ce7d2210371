/**
 * Admission of private upstream connections: the two small structures the
 * gateway uses to keep clients from making it hammer the exchange.
 *
 * - a token bucket, for the global rate of new handshakes (refused at once
 *   when empty with `tryTake`, or queued behind earlier ones with `reserve`);
 * - an expiring set with a size bound, for credentials the exchange refused
 *   recently (they fail fast instead of costing another handshake).
 *
 * - token buckets per key (a client address, a client), bounded;
 * - the per-client budget of new upstream topics
 *   (MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT), refused with LIMIT_EXCEEDED
 *   (naming the key id when the client is a gateway key's share).
 *
 * All read time through an injectable clock; none owns a timer. The
 * bucket itself is the shared one of `lib/token-bucket.ts`.
 */
import { limitExceeded } from '../../lib/errors.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import { createTokenBucket, type TokenBucket } from '../../lib/token-bucket.ts';

/** A client may open this many seconds' worth of its new-topic rate back to back (a page opening a chain). */
export const NEW_TOPIC_BURST_SECONDS = 5;
/** Clients whose new-topic budgets are tracked at once (least recently used forgotten first). */
export const MAX_TRACKED_CLIENTS = 10_000;

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
  /** Forgets `key`. */
  delete(key: string): void;
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
    delete(key) {
      expiries.delete(key);
    },
    size() {
      prune();
      return expiries.size;
    },
  };
}

export interface KeyedBucketsOptions {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Keys tracked at once; past it the least recently used key is forgotten (and starts full again). */
  readonly maxKeys: number;
  readonly now: () => number;
}

/** A token bucket per key (a client, an address), created on first use. */
export interface KeyedBuckets {
  /** Takes a token from `key`'s bucket; false when it is empty. */
  tryTake(key: string): boolean;
}

export function createKeyedBuckets(options: KeyedBucketsOptions): KeyedBuckets {
  const { ratePerSecond, burst, maxKeys, now } = options;
  // Map order is use order: a used key moves to the back, the front is the least recently used.
  const buckets = new Map<string, TokenBucket>();
  return {
    tryTake(key) {
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        while (buckets.size >= maxKeys && buckets.size > 0) buckets.delete(buckets.keys().next().value as string);
        bucket = createTokenBucket({ ratePerSecond, burst, now });
      } else buckets.delete(key);
      buckets.set(key, bucket);
      return bucket.tryTake();
    },
  };
}

/**
 * The refusal of a client over its budget of new topics: a gateway key's
 * (`keyId`, its share counted over all of the key's connections) names the
 * key id, never the key.
 */
export function tooManyNewTopics(ratePerSecond: number, keyId: string | undefined): string {
  const setting = LIMIT_SETTINGS.maxNewTopicsPerSecondPerClient.env;
  return keyId === undefined
    ? `This client (a graphql-ws connection, or the address of HTTP requests) opens new upstream subscriptions faster than ${ratePerSecond} per second (${setting}); wait a moment before subscribing to more.`
    : `Key ${keyId} opens new upstream subscriptions faster than its share of ${ratePerSecond} per second (${setting}, counted over all of the key's connections); wait a moment before subscribing to more.`;
}

/**
 * The per-client budget of new upstream topics: the returned function takes
 * one token of the client's bucket, or throws LIMIT_EXCEEDED naming the limit
 * (and the key id of a gateway key's client).
 */
export function createTopicBudget(options: {
  readonly ratePerSecond: number;
  readonly now: () => number;
}): (client: { readonly id: string; readonly keyId?: string }) => void {
  const { ratePerSecond } = options;
  const buckets = createKeyedBuckets({
    ratePerSecond,
    burst: ratePerSecond * NEW_TOPIC_BURST_SECONDS,
    maxKeys: MAX_TRACKED_CLIENTS,
    now: options.now,
  });
  return (client) => {
    if (!buckets.tryTake(client.id)) throw limitExceeded(tooManyNewTopics(ratePerSecond, client.keyId));
  };
}
