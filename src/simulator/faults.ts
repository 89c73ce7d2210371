/**
 * Fault switches of the simulator: muted heartbeats, refused subscriptions,
 * paused topics, and the garbage frames `sendMalformed` sends. Socket-level
 * faults (dropping connections) live with the server, which owns the sockets.
 */
import { channelOf } from '../channels/registry.ts';
import type { MarketName } from '../coincall/protocol.ts';

export interface SubscriptionRequest {
  readonly market: MarketName;
  readonly dataType: string;
  readonly payload: unknown;
}

/** Returns a reason to refuse a subscription, or undefined to accept it. */
export type RefusalRule = (request: SubscriptionRequest) => string | undefined;

export class FaultState {
  heartbeatsMuted = false;
  refusal: RefusalRule | undefined = undefined;
  private allPaused = false;
  private readonly pausedTypes = new Set<string>();

  pause(paused: boolean, dataType?: string): void {
    if (dataType === undefined) {
      this.allPaused = paused;
      if (!paused) this.pausedTypes.clear();
    } else if (paused) this.pausedTypes.add(dataType);
    else this.pausedTypes.delete(dataType);
  }

  isPaused(dataType: string): boolean {
    return this.allPaused || this.pausedTypes.has(dataType);
  }

  /** The refusal reason for a request, if a rule is set and refuses it. */
  refusalOf(request: SubscriptionRequest): string | undefined {
    return this.refusal?.(request);
  }
}

/**
 * Garbage frames of several kinds, cycled: not JSON, an unknown `dt`, a known
 * `dt` with fields of the wrong types, a truncated data frame, a non-object.
 */
export function malformedFrames(market: MarketName, count: number): string[] {
  const bookDt = channelOf(market, 'orderBook')?.dt[0] ?? 0;
  const kinds = [
    'this is not json {',
    JSON.stringify({ dt: 999, c: 20, d: { s: 'BTCUSD' } }),
    JSON.stringify({ dt: bookDt, c: 20, d: { s: 42, bids: 'none', asks: [{ pr: 'x', sz: true }] } }),
    `{"dt":${bookDt},"c":20,"d":{"s":"BTCUSD","bids":[{"pr":"1`,
    '[1,2,3]',
    JSON.stringify({ dt: 'thirty', c: 20, d: null }),
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length] as string);
}

/** How many garbage frames `sendMalformed` sends when no count is given: one of each kind. */
export const DEFAULT_MALFORMED_COUNT = 6;
