/** `Kline`: one candle (kline channel, options dt 2, futures dt 31). */
import { KlinePeriod } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

export const KlineShape = defineShape('Kline', 'One candle of a symbol at a period; the latest candle updates until it closes.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  id: f.id([], 'Cache identity for normalizing caches (Apollo): the root field, the symbol and period and the view\'s arguments, e.g. `futuresKline:BTCUSD:M1`. Stable for the same view; distinct views (other arguments) never share it.', {
    required: true,
    compute: (r) => `${String(r['symbol'])}:${String(r['period'])}`,
  }),
  period: f.enum(KlinePeriod, ['pe'], 'Candle granularity.', { required: true }),
  open: f.decimal(['open'], 'Opening price.'),
  high: f.decimal(['high'], 'Highest price.'),
  low: f.decimal(['low'], 'Lowest price.'),
  close: f.decimal(['close'], 'Closing (latest) price.'),
  volume: f.decimal(['v'], 'Traded volume.'),
  timestamp: f.timestamp(['ts'], "The candle's open time.", { required: true }),
});
