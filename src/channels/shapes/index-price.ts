/** `IndexPrice`: the spotPrice channel of either market (futures dt 30; options inferred). */
import { defineShape, f } from '../fields.ts';

export const IndexPriceShape = defineShape('IndexPrice', 'Index and 24 h ticker figures of an underlying (spotPrice channel).', {
  symbol: f.string(['s'], 'Underlying symbol, e.g. `BTCUSD`.', { required: true }),
  id: f.id(
    [],
    "Cache identity for normalizing caches (Apollo): the root field, the underlying and the view's arguments, e.g. `futuresIndexPrice:BTCUSD`. Stable for the same view; distinct views (other arguments) never share it.",
    { required: true, compute: (r) => r['symbol'] },
  ),
  price: f.decimal(['pr'], 'Latest price.'),
  markPrice: f.decimal(['mp'], 'Mark price.'),
  lastPrice: f.decimal(['lp'], 'Last traded price.'),
  indexPrice: f.decimal(['ip'], 'Index price.'),
  high24h: f.decimal(['h'], 'Highest price of the last 24 h.'),
  low24h: f.decimal(['l'], 'Lowest price of the last 24 h.'),
  changePrice: f.decimal(['cp'], 'Price change over the last 24 h.'),
  changeRate: f.float(['cr'], 'Price change over the last 24 h as a fraction (0.01 = 1 %).'),
  openPrice24h: f.decimal(['pr0'], 'Price at the start of the 24 h window.'),
  changeVolume: f.decimal(['cv'], 'Change in volume.'),
  volume24h: f.decimal(['v24'], 'Traded volume of the last 24 h, in contracts.'),
  usdVolume24h: f.decimal(['uv24'], 'Traded volume of the last 24 h, in USD.'),
  openInterest: f.decimal(['oi'], 'Open interest.'),
  timestamp: f.timestamp(['ts'], 'Time of the update (live frames only).'),
});
