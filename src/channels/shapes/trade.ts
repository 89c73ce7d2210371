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

/**
 * `Trade` as clients see it: the wire's trade plus its `cursor`, which the hub
 * stamps when the trade enters its topic's resume window (never on the wire).
 */
export const TradeOutputShape = defineShape('Trade', TradeShape.description, {
  ...TradeShape.fields,
  cursor: f.string(
    [],
    "Opaque position of this trade in its topic's stream: pass it as `after` to get every trade after this one (a resumed subscription, or a page of the query). Carries its topic and time; do not build or parse it.",
    { required: true },
  ),
});
