/** futures / orderBook (dt 32) -> `futuresOrderBook`. */
import { arg } from '../args.ts';
import { orderBookChannel } from '../common.ts';

export const futuresOrderBook = orderBookChannel({
  id: 'futuresOrderBook',
  market: 'futures',
  dt: 32,
  description: 'Order book snapshots of a perpetual future.',
  symbol: arg.futuresSymbol('Futures symbol, e.g. `BTCUSD`.'),
});
