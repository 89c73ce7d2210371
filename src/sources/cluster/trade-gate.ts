/**
 * What of a trades topic's items a reader hands its clients: each trade once
 * (by id, whether it came from the engine or the own upstream), and none of
 * the own upstream's from before the first batch it delivered (the exchange's
 * recent trades on a subscribe, a holder's memory: they came before its
 * clients subscribed), so a client's tape never goes back past where it began.
 */
import { createRecentIds, itemId } from './cluster-topic.ts';
import { timeOf } from './trade-items.ts';

export interface TradeGate {
  /** The items to hand on; `own`: from this replica's own upstream. */
  pass(items: readonly unknown[], own: boolean): readonly unknown[];
  /** Whether a trade of `id` was handed on. */
  has(id: string): boolean;
}

export function createTradeGate(): TradeGate {
  const seen = createRecentIds();
  /** The oldest trade time of the first batch handed on. */
  let floor: number | undefined;
  return {
    has: (id) => seen.has(id),
    pass(items, own) {
      const fresh = items.filter((item) => {
        if (own && floor !== undefined && timeOf(item, floor) < floor) return false;
        const id = itemId(item);
        return id === undefined || !seen.seen(id);
      });
      if (floor === undefined && fresh.length > 0) {
        const oldest = Math.min(...fresh.map((item) => timeOf(item, Number.POSITIVE_INFINITY)));
        if (Number.isFinite(oldest)) floor = oldest;
      }
      return fresh;
    },
  };
}
