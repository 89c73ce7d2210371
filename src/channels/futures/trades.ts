/** futures / lastTrade (dt 33) -> `futuresTrades`. */
import { arg } from '../args.ts';
import { tradesChannel } from '../common.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { list, NO_FRAMES } from '../simulation.ts';

export const futuresTrades = tradesChannel({
  id: 'futuresTrades',
  market: 'futures',
  dt: 33,
  description: 'Public trades of a perpetual future, newest first, in batches as the exchange sends them.',
  symbol: arg.futuresSymbol('Futures symbol, e.g. `BTCUSD`.'),
  example: (x) => ({ symbol: x.underlying }),
  simulate: symbolTopic({ symbol: 'underlying', batch: true }, (sim, symbol) => (sim.initial ? NO_FRAMES : list(sim.exchange.tradesOf(symbol)))),
});
