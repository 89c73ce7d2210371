/** `OrderBook` and `PriceLevel`: full order book snapshots (options dt 5, futures dt 32). */
import { defineShape, f } from '../fields.ts';

export const PriceLevelShape = defineShape('PriceLevel', 'One price level of an order book.', {
  price: f.decimal(['pr'], 'Price of the level.', { required: true }),
  volume: f.decimal(['v', 'sz'], 'Size at the level (upstream `v`, live `sz`).', { required: true }),
});

export const OrderBookShape = defineShape('OrderBook', 'A full order book snapshot.', {
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  bids: f.list(PriceLevelShape, ['bids'], 'Bids, best (highest) first.', { required: true }),
  asks: f.list(PriceLevelShape, ['asks'], 'Asks, best (lowest) first.', { required: true }),
  timestamp: f.timestamp(['ts'], 'Time of the snapshot.'),
});
