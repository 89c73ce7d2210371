/** `Kline`: one candle (kline channel, options dt 2, futures dt 31). */
import { KlinePeriod } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

export const KlineShape = defineShape('Kline', 'One candle of a symbol at a period; the latest candle updates until it closes.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  period: f.enum(KlinePeriod, ['pe'], 'Candle granularity.', { required: true }),
  open: f.decimal(['open'], 'Opening price.'),
  high: f.decimal(['high'], 'Highest price.'),
  low: f.decimal(['low'], 'Lowest price.'),
  close: f.decimal(['close'], 'Closing (latest) price.'),
  volume: f.decimal(['v'], 'Traded volume.'),
  timestamp: f.timestamp(['ts'], "The candle's open time.", { required: true }),
});
