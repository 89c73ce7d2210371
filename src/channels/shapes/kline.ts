/** `Kline`: one candle (kline channel, options dt 2, futures dt 31). */
import { KlinePeriod } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

export const KlineShape = defineShape('Kline', 'One candle of a symbol at a period; the latest candle updates until it closes.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  id: f.id(
    [],
    "Cache identity for normalizing caches (Apollo): the root field, the symbol, the period and the candle's open time, e.g. `futuresKline:BTCUSD:M1:2023-05-26T08:57:00.000Z`. Each candle has its own (the 08:57 and 08:58 candles never merge); the same candle keeps it while it updates.",
    {
      required: true,
      compute: (r) => `${String(r['symbol'])}:${String(r['period'])}:${new Date(Number(r['timestamp'])).toISOString()}`,
    },
  ),
  period: f.enum(KlinePeriod, ['pe'], 'Candle granularity.', { required: true }),
  open: f.decimal(['open'], 'Opening price.'),
  high: f.decimal(['high'], 'Highest price.'),
  low: f.decimal(['low'], 'Lowest price.'),
  close: f.decimal(['close'], 'Closing (latest) price.'),
  volume: f.decimal(['v'], 'Traded volume.'),
  timestamp: f.timestamp(['ts'], "The candle's open time.", { required: true }),
});
