/**
 * The token bucket: a burst, then an even refill rate, read through an
 * injectable clock (it owns no timer). One implementation for every budget of
 * the gateway: the upstream connection's request pacing and the global rate of
 * private handshakes.
 *
 * - `tryTake` takes a token if one is there now (refuse-at-once budgets);
 * - `reserve` takes one even when none is left, borrowing against the refill,
 *   and says how long to wait (queue-behind budgets);
 * - `waitMs` says how long until a token is there, taking nothing (pacers that
 *   schedule their own timer and then `tryTake`).
 */

export interface TokenBucket {
  /** Takes a token if one is available now; false (and nothing taken) otherwise. */
  tryTake(): boolean;
  /**
   * Takes a token even when none is left, borrowing against the refill: returns
   * how many ms to wait before using it (0: now). Later callers queue behind.
   */
  reserve(): number;
  /** How many ms until a token is available (0: now); takes nothing. Infinite when the rate is 0 and the bucket is empty. */
  waitMs(): number;
}

export interface TokenBucketOptions {
  /** Tokens added per second (0: none, the burst is all there is). */
  readonly ratePerSecond: number;
  /** Capacity, and the tokens available at start. */
  readonly burst: number;
  readonly now: () => number;
}

export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { ratePerSecond, burst, now } = options;
  let tokens = burst;
  let refilledAt = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - refilledAt) * ratePerSecond) / 1_000);
    refilledAt = t;
  };
  /** Ms until the balance reaches `target` at the refill rate. */
  const msUntil = (target: number) =>
    ratePerSecond > 0 ? Math.ceil(((target - tokens) * 1_000) / ratePerSecond) : Number.POSITIVE_INFINITY;
  return {
    tryTake() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    reserve() {
      refill();
      tokens -= 1;
      return tokens >= 0 ? 0 : msUntil(0);
    },
    waitMs() {
      refill();
      return tokens >= 1 ? 0 : msUntil(1);
    },
  };
}
