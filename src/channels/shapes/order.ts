/** `Order`: order updates of the account (options dt 11, futures dt 35, private). */
import { OrderSide, OrderState, OrderType, TimeInForce } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

export const OrderShape = defineShape('Order', 'An update of one of the account’s orders.', {
  orderId: f.id(['oid'], 'Order id (exceeds 2^53: always a string).', { required: true }),
  id: f.id([], 'Cache identity for normalizing caches (Apollo): the order id.', { required: true, compute: (r) => r['orderId'] }),
  clientOrderId: f.id(['coid'], 'Client order id.'),
  userId: f.id(['uid'], 'User id.'),
  symbol: f.string(['s'], 'Instrument symbol.', { required: true }),
  quantity: f.decimal(['q'], 'Order quantity.'),
  price: f.decimal(['pr'], 'Limit price.'),
  side: f.enum(OrderSide, ['si'], 'Side.'),
  type: f.enum(OrderType, ['ty'], 'Order type.'),
  timeInForce: f.enum(TimeInForce, ['tif'], 'Time in force.'),
  state: f.enum(OrderState, ['os'], 'Order state.'),
  reduceOnly: f.boolean(['ro'], 'Whether the order only reduces a position.'),
  leverage: f.decimal(['le'], 'Leverage (futures).'),
  createdAt: f.timestamp(['ct'], 'When the order was created.'),
  updatedAt: f.timestamp(['ts'], 'When the order was last updated.'),
  filledQuantity: f.decimal(['fq'], 'Quantity filled so far.'),
  remainingQuantity: f.decimal(['rq'], 'Quantity still working.'),
  fillPrice: f.decimal(['mpr'], 'Price of this fill.'),
  fillQuantity: f.decimal(['mq'], 'Quantity of this fill.'),
  avgPrice: f.decimal(['ap'], 'Average fill price.'),
  isTaker: f.boolean(['it'], 'Whether this fill took liquidity.'),
  canceledQuantity: f.decimal(['cq'], 'Quantity cancelled.'),
  amount: f.decimal(['am'], 'Amount.'),
});
