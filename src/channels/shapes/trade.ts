/** `Trade`: public trades (options dt 6, futures dt 33). */
import { TradeSide } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

export const TradeShape = defineShape('Trade', 'One public trade.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  price: f.decimal(['pr'], 'Trade price.', { required: true }),
  volume: f.decimal(['v', 'q'], 'Traded size (upstream `v`, live `q`).', { required: true }),
  side: f.enum(TradeSide, ['sd'], "The taker's side."),
  timestamp: f.timestamp(['ts'], 'Time of the trade.', { required: true }),
});
