/** futures / kline (dt 31) -> `futuresKline`. */
import { arg } from '../args.ts';
import { klineChannel } from '../common.ts';
import { klineTopic } from '../simulated-topics.ts';

export const futuresKline = klineChannel({
  id: 'futuresKline',
  market: 'futures',
  dt: 31,
  description: 'Candles of a perpetual future at a period; the open candle updates until it closes.',
  symbol: arg.futuresSymbol('Futures symbol, e.g. `BTCUSD`.'),
  example: {
    variables: (x) => ({ symbol: x.underlying, period: 'M1' }),
    operation: `
    # One-minute candles of the BTCUSD perpetual.
    subscription FuturesKline($symbol: String! = "BTCUSD", $period: KlinePeriod! = M1) {
      futuresKline(symbol: $symbol, period: $period) {
        symbol
        period
        timestamp
        open
        high
        low
        close
        volume
      }
    }
`,
  },
  simulate: klineTopic({ symbol: 'underlying' }),
});
