/** `OrderBook` and `PriceLevel`: full order book snapshots (options dt 5, futures dt 32). */
import { defineShape, f } from '../fields.ts';

export const PriceLevelShape = defineShape('PriceLevel', 'One price level of an order book.', {
  price: f.decimal(['pr'], 'Price of the level.', { required: true }),
  volume: f.decimal(['v', 'sz'], 'Size at the level (upstream `v`, live `sz`).', { required: true }),
  total: f.decimal([], 'Cumulative volume from the best level through this one (what a depth chart draws).', {
    required: true,
    // A level alone totals its own volume; the book channel sums each side from its best level.
    compute: (r) => r['volume'],
  }),
});

export const OrderBookShape = defineShape('OrderBook', 'A full order book snapshot.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  id: f.id(
    [],
    "Cache identity for normalizing caches (Apollo): the root field, the symbol and the view's arguments, e.g. `futuresOrderBook:BTCUSD:depth=5:group=10`. Stable for the same view; distinct views (other arguments) never share it.",
    { required: true, compute: (r) => r['symbol'] },
  ),
  bids: f.list(PriceLevelShape, ['bids'], 'Bids, best (highest) first.', { required: true }),
  asks: f.list(PriceLevelShape, ['asks'], 'Asks, best (lowest) first.', { required: true }),
  timestamp: f.timestamp(['ts'], 'Time of the snapshot.'),
});
