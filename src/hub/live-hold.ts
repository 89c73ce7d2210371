/**
 * What goes live while a resuming subscriber's replay is still being given
 * (`resume.ts`): held until the replay reaches the window's end, then let
 * through at the seam. However long a slow client's replay takes, the hold is
 * bounded as the subscriber's own queue is (`sink.ts`): up to `limit` items;
 * at the bound a list event (trades) merges into the last held list, up to
 * `MAX_MERGED_EVENT_ITEMS` items; past that (or a signal at the bound) the
 * hold refuses, and the caller drops the subscriber (SUBSCRIBER_TOO_SLOW).
 */
import { MAX_MERGED_EVENT_ITEMS } from './sink.ts';
import type { StreamInterruption } from './signals.ts';

/** A live event (with its exchange frame `ts`) or an interruption, as the topic gave it. */
export type Held = { readonly event: unknown; readonly frameTs: number | undefined } | { readonly signal: StreamInterruption };

export interface LiveHold {
  /** Holds `item`; false when the hold is full and `item` cannot merge (the subscriber is too slow). */
  hold(item: Held): boolean;
  /** Everything held, oldest first (a merged list newest chunk first, as the sink merges), and the hold is empty again. */
  release(): Held[];
  /** How many items are held (a merged list counts once). */
  readonly size: number;
}

interface Slot {
  readonly item: Held;
  /** Lists merged into this one at the bound, oldest first (the slot's own list first), and their item count. */
  merged?: { readonly chunks: unknown[][]; count: number };
}

export function createLiveHold(limit: number): LiveHold {
  let slots: Slot[] = [];
  /** Merges a list event into the last held list; false when it cannot (not lists, or too many items). */
  const merge = (item: Held): boolean => {
    const last = slots.at(-1);
    if (last === undefined || !('event' in item) || !('event' in last.item)) return false;
    const own = last.item.event;
    if (!Array.isArray(item.event) || !Array.isArray(own)) return false;
    const merged = last.merged ?? { chunks: [own], count: own.length };
    if (merged.count + item.event.length > MAX_MERGED_EVENT_ITEMS) return false;
    merged.chunks.push(item.event);
    merged.count += item.event.length;
    last.merged = merged;
    return true;
  };
  return {
    hold(item) {
      if (slots.length < limit) {
        slots.push({ item });
        return true;
      }
      return merge(item);
    },
    release() {
      const out = slots.map(({ item, merged }): Held => {
        if (merged === undefined || !('event' in item)) return item;
        return { event: merged.chunks.reverse().flat(), frameTs: item.frameTs };
      });
      slots = [];
      return out;
    },
    get size() {
      return slots.length;
    },
  };
}
