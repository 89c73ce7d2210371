/** options / orderBook (dt 5) -> `optionOrderBook`. */
import { arg } from '../args.ts';
import { orderBookChannel } from '../common.ts';

export const optionOrderBook = orderBookChannel({
  id: 'optionOrderBook',
  market: 'options',
  dt: 5,
  description: 'Order book snapshots of an option.',
  symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-26000-C`.'),
});
