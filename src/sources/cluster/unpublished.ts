/**
 * A trades holder's batches whose publish failed (the engine went away
 * mid-publish), kept for its next catch-up (`catch-up.ts`). A later batch may
 * have been stored meanwhile (sent before the failure was known), so the
 * catch-up, which fills after the last trade stored, would not reach them:
 * they are published again as they are. The engine drops a copy it stored
 * after all (`Nats-Msg-Id`) within its duplicate window; one that failed longer
 * ago than `RETRY_WITHIN_MS` is not sent again (a copy stored after all would be
 * stored twice): its time is marked as a gap instead. Past `UNPUBLISHED_KEPT`
 * trades the oldest go to the marked ones, never silently away.
 */
import { DUPLICATE_WINDOW_MS } from './engine.ts';

/** Failed trades kept for the next catch-up; beyond, the oldest are marked instead of sent again. */
export const UNPUBLISHED_KEPT = 10_000;
/** A failed trade is sent again only this soon after its failure (well within the engine's duplicate window). */
export const RETRY_WITHIN_MS = (DUPLICATE_WINDOW_MS * 3) / 4;

/** What the next catch-up does with the failed trades: send these again (oldest first), mark the time of those. */
export interface Unsent {
  readonly retry: readonly unknown[];
  /** When each of `retry` failed (aligned). */
  readonly failedAt: readonly number[];
  readonly stale: readonly unknown[];
}

export interface Unpublished {
  /** A batch (oldest first) whose publish failed at `at`. */
  add(items: readonly unknown[], at: number): void;
  /** Everything kept, as of `now`, and nothing kept any more (`putBack` when the catch-up fails). */
  take(now: number): Unsent;
  /** The catch-up that took them failed: kept again for the next. */
  putBack(unsent: Unsent): void;
}

export function createUnpublished(): Unpublished {
  let kept: Array<{ readonly item: unknown; readonly at: number }> = [];
  let stale: unknown[] = [];
  const bound = () => {
    const over = kept.length - UNPUBLISHED_KEPT;
    if (over > 0) stale.push(...kept.splice(0, over).map((entry) => entry.item));
  };
  return {
    add(items, at) {
      kept.push(...items.map((item) => ({ item, at })));
      bound();
    },
    take(now) {
      const fresh = kept.filter((entry) => now - entry.at <= RETRY_WITHIN_MS);
      const old = kept.filter((entry) => now - entry.at > RETRY_WITHIN_MS).map((entry) => entry.item);
      const unsent = { retry: fresh.map((entry) => entry.item), failedAt: fresh.map((entry) => entry.at), stale: [...stale, ...old] };
      kept = [];
      stale = [];
      return unsent;
    },
    putBack(unsent) {
      stale.push(...unsent.stale);
      kept.unshift(...unsent.retry.map((item, i) => ({ item, at: unsent.failedAt[i] ?? 0 })));
      bound();
    },
  };
}
