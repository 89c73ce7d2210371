/** futures / lastTrade (dt 33) -> `futuresTrades`. */
import { arg } from '../args.ts';
import { tradesChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { list } from '../simulation.ts';

export const futuresTrades = tradesChannel({
  id: 'futuresTrades',
  market: 'futures',
  dt: 33,
  description:
    'Public trades of a perpetual future, newest first, in batches as the exchange sends them (the first: recent trades). Each trade has a `cursor`; `after` resumes from one.',
  symbol: arg.futuresSymbol('Futures symbol, e.g. `BTCUSD`.'),
  example: {
    variables: (x) => ({ symbol: x.underlying }),
    operation: `
    # Public trades of the BTCUSD perpetual; set side to BUY or SELL for only the trades whose taker bought or sold.
    subscription FuturesTrades($symbol: String! = "BTCUSD", $side: TradeSide) {
      futuresTrades(symbol: $symbol, side: $side) {
        symbol
        price
        volume
        side
        timestamp
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'underlying', batch: true }, (sim, symbol) =>
    list(sim.initial ? sim.exchange.recentTradesOf(symbol) : sim.exchange.tradesOf(symbol)),
  ),
});
