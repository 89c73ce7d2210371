/**
 * Reconnect delays: capped exponential backoff with full jitter.
 * A backoff is a plain function (attempt -> ms) so tests can inject a tiny one
 * instead of faking time.
 */

/** Returns the delay in ms before reconnect attempt `attempt` (0-based). */
export type Backoff = (attempt: number) => number;

export interface BackoffOptions {
  /** Delay scale of the first attempt, in ms. */
  readonly baseMs: number;
  /** Upper bound of any delay, in ms. */
  readonly maxMs: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
/**
 * The longest reconnect delay: 5 s, so that once the exchange is back a
 * connection waits at most that long for its next attempt (`/ready` is back
 * within RECOVERY_BOUND_MS, `connection.ts`). The backoff starts over after the
 * first good frame of a session, so a flapping exchange is not hammered faster.
 */
export const DEFAULT_BACKOFF_MAX_MS = 5_000;

/** Full jitter: a uniform delay in [0, min(max, base * 2^attempt)). */
export function fullJitterBackoff(options: BackoffOptions): Backoff {
  const random = options.random ?? Math.random;
  return (attempt) => {
    const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
    return Math.floor(random() * ceiling);
  };
}
