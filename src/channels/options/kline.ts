/** options / kline (dt 2) -> `optionKline`. */
import { arg } from '../args.ts';
import { klineChannel } from '../common.ts';
import { klineTopic } from '../simulated-topics.ts';

export const optionKline = klineChannel({
  id: 'optionKline',
  market: 'options',
  dt: 2,
  description: 'Candles of an option at a period; the open candle updates until it closes.',
  symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-24000-P`.'),
  example: {
    variables: (x) => ({ symbol: x.option, period: 'H1' }),
    operation: `
    # Hourly candles of one option. Pick a live symbol from optionChain.
    subscription OptionKline($symbol: String!, $period: KlinePeriod! = H1) {
      optionKline(symbol: $symbol, period: $period) {
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
  simulate: klineTopic({ symbol: 'option', watched: true }),
});
