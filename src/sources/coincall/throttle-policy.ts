/**
 * What the ack tracker does when the exchange answers "too many request":
 * how it recognises the answer, which unanswered subscribes it implicates,
 * how long a re-send waits and how many re-sends a topic gets before it fails.
 */
import { fullJitterBackoff, type Backoff } from '../../lib/backoff.ts';

/** Re-sends of a subscribe the exchange answered with "too many request", before the topic fails. */
export const DEFAULT_THROTTLE_RETRIES = 5;
/** The exchange counts requests per second: a retry waits for the next window, plus jitter. */
export const RATE_WINDOW_MS = 1_000;
/** Retry n waits RATE_WINDOW_MS plus up to min(4 s, 0.5 s × 2^n): at most about 16 s over five retries. */
export const defaultThrottleBackoff: Backoff = (() => {
  const jitter = fullJitterBackoff({ baseMs: 500, maxMs: 4_000 });
  return (attempt: number) => RATE_WINDOW_MS + jitter(attempt);
})();
/** A "too many request" answer implicates the unanswered subscribes written within this long before it. */
export const THROTTLE_SUSPECT_WINDOW_MS = 2 * RATE_WINDOW_MS;
/** How the exchange words its rate-limit answer (a notice, or a failed acknowledgement). */
export const TOO_MANY_REQUESTS = /too many requests?/i;
