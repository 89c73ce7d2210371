/** options / orderBook (dt 5) -> `optionOrderBook`. */
import { arg } from '../args.ts';
import { orderBookChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';

export const optionOrderBook = orderBookChannel({
  id: 'optionOrderBook',
  market: 'options',
  dt: 5,
  description: 'Order book snapshots of an option.',
  symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-26000-C`.'),
  example: {
    variables: (x) => ({ symbol: x.option, depth: 5 }),
    operation: `
    # Best 5 levels of one option order book.
    subscription OptionOrderBook($symbol: String!, $depth: Int = 5) {
      optionOrderBook(symbol: $symbol, depth: $depth) {
        symbol
        timestamp
        bids { price volume }
        asks { price volume }
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'option', batch: true, watched: true }, (sim, symbol) => one(sim.exchange.bookRecord(symbol))),
});
