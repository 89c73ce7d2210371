/**
 * Drops the items an exchange sends again after a resubscribe.
 *
 * After a reconnect or a resubscribe, the exchange may re-send its latest
 * trades. Each item of such a channel carries a stable `id` derived from its
 * content; the filter remembers the most recent ids of its topic (a bounded
 * memory) and, during a window after each resume, drops items whose id it has
 * already delivered. Outside that window nothing is dropped: two genuinely
 * identical trades in separate frames are both real.
 *
 * An event is either one record or a list of records; an item without a
 * string `id` always passes.
 */
import { isRecord } from '../lib/json.ts';

/** Ids remembered per topic (the exchange re-sends at most its last few dozen trades). */
export const REPLAY_MEMORY = 1_000;
/** How long after a resume re-sent items are looked for. */
export const REPLAY_WINDOW_MS = 10_000;

export interface ReplayFilter {
  /** The stream resumed at `at`: look for re-sent items until `at + REPLAY_WINDOW_MS`. */
  resumed(at: number): void;
  /**
   * A reopened topic: `items` were delivered before it closed. Remember their
   * ids and look for them again from the next frame on, for the window.
   */
  seed(items: readonly unknown[]): void;
  /** The event without the items already delivered (during the window); null when nothing is left. */
  pass(event: unknown, at: number): unknown;
}

const idOf = (item: unknown): string | undefined => (isRecord(item) && typeof item['id'] === 'string' ? item['id'] : undefined);

export function createReplayFilter(memory = REPLAY_MEMORY, windowMs = REPLAY_WINDOW_MS): ReplayFilter {
  const seen = new Set<string>();
  let windowEnd = Number.NEGATIVE_INFINITY;

  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > memory) {
      const oldest = seen.values().next();
      if (oldest.done !== true) seen.delete(oldest.value);
    }
  };

  /** Whether to keep `item` (and remember it). */
  const keep = (item: unknown, checking: boolean): boolean => {
    const id = idOf(item);
    if (id === undefined) return true;
    if (checking && seen.has(id)) return false;
    remember(id);
    return true;
  };

  let seeded = false;

  return {
    resumed(at) {
      windowEnd = at + windowMs;
    },
    seed(items) {
      for (let i = items.length - 1; i >= 0; i -= 1) {
        const id = idOf(items[i]);
        if (id !== undefined) remember(id);
      }
      seeded = items.length > 0;
    },
    pass(event, at) {
      if (seeded) {
        seeded = false;
        windowEnd = at + windowMs;
      }
      const checking = at <= windowEnd;
      if (!Array.isArray(event)) return keep(event, checking) ? event : null;
      const kept = event.filter((item) => keep(item, checking));
      if (kept.length === event.length) return event;
      return kept.length === 0 ? null : kept;
    },
  };
}
