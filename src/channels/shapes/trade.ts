/** `Trade`: public trades (options dt 6, futures dt 33). */
import { TradeSide } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

/** A trade's content key: the same trade, re-sent, has the same one (the frame's occurrence index is added per frame). */
const tradeKey = (t: Readonly<Record<string, unknown>>): string =>
  [t['symbol'], t['timestamp'], t['price'], t['volume'], t['side'] ?? ''].join('|');

export const TradeShape = defineShape('Trade', 'One public trade.', {
  id: f.id([], 'Stable id of the trade, derived from its content: the same trade sent again has the same id.', {
    required: true,
    compute: tradeKey,
  }),
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  price: f.decimal(['pr'], 'Trade price.', { required: true }),
  volume: f.decimal(['v', 'q'], 'Traded size (upstream `v`, live `q`).', { required: true }),
  side: f.enum(TradeSide, ['sd'], "The taker's side."),
  timestamp: f.timestamp(['ts'], 'Time of the trade.', { required: true }),
});
