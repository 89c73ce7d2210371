/** futures / orderBook (dt 32) -> `futuresOrderBook`. */
import { arg } from '../args.ts';
import { orderBookChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';

export const futuresOrderBook = orderBookChannel({
  id: 'futuresOrderBook',
  market: 'futures',
  dt: 32,
  description: 'Order book snapshots of a perpetual future.',
  symbol: arg.futuresSymbol('Futures symbol, e.g. `BTCUSD`.'),
  example: {
    variables: (x) => ({ symbol: x.underlying, depth: 10 }),
    operation: `
    # Best 10 levels of the BTCUSD perpetual order book.
    subscription FuturesOrderBook($symbol: String! = "BTCUSD", $depth: Int = 10) {
      futuresOrderBook(symbol: $symbol, depth: $depth) {
        symbol
        timestamp
        bids { price volume }
        asks { price volume }
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'underlying', batch: true }, (sim, symbol) => one(sim.exchange.bookRecord(symbol))),
});
