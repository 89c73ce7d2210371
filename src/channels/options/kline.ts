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
  example: (x) => ({ symbol: x.option, period: 'H1' }),
  simulate: klineTopic({ symbol: 'option', watched: true }),
});
