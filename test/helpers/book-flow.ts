/**
 * A BTCUSD book client and a book source for cluster tests: `watchBestBids`
 * keeps the best bid of every value a gateway sends, `bookSender` makes the
 * stand-in exchange send a new value, its best bid one higher each time.
 */
import type { FakeExchange } from './fake-exchange.ts';
import { wsClient } from './gateway.ts';

const BOOK_DT = 32;
const BTC = { symbol: 'BTCUSD' };
const BOOK = 'subscription { futuresOrderBook(symbol: "BTCUSD") { bids { price } } }';

/** The best bid of each book value the gateway at `wsUrl` sends, in order. */
export function watchBestBids(wsUrl: string): string[] {
  const bids: string[] = [];
  wsClient(wsUrl).subscribe(
    { query: BOOK },
    {
      next: (r) => {
        const best = (r.data as { futuresOrderBook?: { bids: Array<{ price: string }> } } | null)?.futuresOrderBook?.bids[0];
        if (best !== undefined) bids.push(best.price);
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return bids;
}

/** Sends a new BTCUSD book value on `exchange`; each call's best bid is one higher (the last one is `last()`). */
export function bookSender(exchange: FakeExchange): { send(): string; last(): number } {
  let bid = 60_000;
  return {
    send() {
      bid += 1;
      exchange.publish(BOOK_DT, 'orderBook', BTC, [{ s: 'BTCUSD', bids: [{ pr: String(bid), v: '1' }], asks: [], ts: Date.now() }]);
      return String(bid);
    },
    last: () => bid,
  };
}
