/** options / orderBook (dt 5) -> `optionOrderBook`. */
import { arg } from '../args.ts';
import { orderBookChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';

export const optionOrderBook = orderBookChannel({
  id: 'optionOrderBook',
  market: 'options',
  dt: 5,
  description: 'Order book snapshots of an option.',
  symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-26000-C`.'),
  example: (x) => ({ symbol: x.option, depth: 5 }),
  simulate: symbolTopic({ symbol: 'option', batch: true, watched: true }, (sim, symbol) => one(sim.exchange.bookRecord(symbol))),
});
