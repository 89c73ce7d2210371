/** futures / orderBook (dt 32) -> `futuresOrderBook`. */
import { arg } from '../args.ts';
import { orderBookChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';

export const futuresOrderBook = orderBookChannel({
  id: 'futuresOrderBook',
  market: 'futures',
  dt: 32,
  description: 'Order book snapshots of a perpetual future.',
  symbol: arg.futuresSymbol('Futures symbol, e.g. `BTCUSD`.'),
  example: (x) => ({ symbol: x.underlying, depth: 10 }),
  simulate: symbolTopic({ symbol: 'underlying', batch: true }, (sim, symbol) => one(sim.exchange.bookRecord(symbol))),
});
