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
  example: (x) => ({ symbol: x.underlying, period: 'M1' }),
  simulate: klineTopic({ symbol: 'underlying' }),
});
