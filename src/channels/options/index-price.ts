/** options / spotPrice -> `optionIndexPrice`. dt 30 is inferred: the spec's example is a copy of accountBalance. */
import { indexPriceChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';

export const optionIndexPrice = indexPriceChannel({
  id: 'optionIndexPrice',
  market: 'options',
  dt: 30,
  description: 'Index price of an underlying, from the options market.',
  example: {
    variables: (x) => ({ symbol: x.underlying }),
    operation: `
    # Index price of BTCUSD from the options market.
    subscription OptionIndexPrice($symbol: String! = "BTCUSD") {
      optionIndexPrice(symbol: $symbol) {
        symbol
        price
        indexPrice
        markPrice
        timestamp
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'underlying' }, (sim, symbol) => one(sim.exchange.indexRecord(symbol, 'options'))),
});
