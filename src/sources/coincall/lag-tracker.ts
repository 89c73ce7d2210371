/**
 * How far behind the exchange one connection reads: the age of each data frame
 * as it is read (receive time minus the frame's own `ts`), as the highest of
 * the last LAG_WINDOW_MS to LAG_WINDOW_MS × 2 (two buckets), so one late frame
 * shows for a while and a backlog shows at once. O(1) per frame. Clock skew
 * between the exchange and this host adds to it; a negative age counts as 0.
 */
import { UPSTREAM_LIMIT_SETTINGS } from '../../lib/upstream-limits.ts';

/** Each bucket of the peak; the lag shown is the highest of the current and the previous bucket. */
export const LAG_WINDOW_MS = 5_000;
/** Default bound on the lag before `/ready` turns 503 (UpstreamOptions.maxLagMs, UPSTREAM_MAX_LAG_MS). */
export const DEFAULT_UPSTREAM_MAX_LAG_MS = UPSTREAM_LIMIT_SETTINGS.upstreamMaxLagMs.fallback;

export interface LagTracker {
  /** A data frame stamped `ts` (undefined: not counted) was read at `receivedAt`. */
  observe(receivedAt: number, ts: number | undefined): void;
  /** The lag now, in ms (undefined: no stamped frame within the last two buckets). */
  lagMs(): number | undefined;
}

export function createLagTracker(now: () => number): LagTracker {
  let bucketStart = Number.NEGATIVE_INFINITY;
  let current: number | undefined;
  let previous: number | undefined;
  const roll = (at: number) => {
    if (at - bucketStart < LAG_WINDOW_MS) return;
    previous = at - bucketStart < 2 * LAG_WINDOW_MS ? current : undefined;
    current = undefined;
    bucketStart = at;
  };
  return {
    observe(receivedAt, ts) {
      if (ts === undefined) return;
      roll(receivedAt);
      const age = Math.max(0, receivedAt - ts);
      current = Math.max(current ?? 0, age);
    },
    lagMs() {
      roll(now());
      if (current === undefined) return previous;
      return previous === undefined ? current : Math.max(current, previous);
    },
  };
}
