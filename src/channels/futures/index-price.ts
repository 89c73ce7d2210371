/** futures / spotPrice (dt 30) -> `futuresIndexPrice`. */
import { indexPriceChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';

export const futuresIndexPrice = indexPriceChannel({
  id: 'futuresIndexPrice',
  market: 'futures',
  dt: 30,
  batchable: true,
  description: 'Index, mark and 24 h ticker figures of a perpetual future.',
  example: {
    variables: (x) => ({ symbol: x.underlying }),
    operation: `
    # Index, mark and 24 h figures of the BTCUSD perpetual.
    subscription FuturesIndexPrice($symbol: String! = "BTCUSD") {
      futuresIndexPrice(symbol: $symbol) {
        symbol
        price
        markPrice
        indexPrice
        lastPrice
        high24h
        low24h
        changeRate
        volume24h
        timestamp
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'underlying', batch: true }, (sim, symbol) => one(sim.exchange.indexRecord(symbol, 'futures'), sim.now)),
});
