/** options / lastTrade (dt 6) -> `optionTrades`. */
import { arg } from '../args.ts';
import { tradesChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { list } from '../simulation.ts';

export const optionTrades = tradesChannel({
  id: 'optionTrades',
  market: 'options',
  dt: 6,
  description:
    'Public trades of an option, newest first, in batches as the exchange sends them (the first: recent trades). Each trade has a `cursor`; `after` resumes from one.',
  symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-26000-C`.'),
  example: {
    variables: (x) => ({ symbol: x.option }),
    operation: `
    # Public trades of one option.
    subscription OptionTrades($symbol: String!, $side: TradeSide) {
      optionTrades(symbol: $symbol, side: $side) {
        symbol
        price
        volume
        side
        timestamp
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'option', batch: true, watched: true }, (sim, symbol) =>
    list(sim.initial ? sim.exchange.recentTradesOf(symbol) : sim.exchange.tradesOf(symbol)),
  ),
});
