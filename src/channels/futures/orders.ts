/** futures / order (dt 35, private) -> `futuresOrders`. */
import { ordersChannel } from '../common.ts';
import { ordersTopic } from '../simulated-topics.ts';

export const futuresOrders = ordersChannel({
  id: 'futuresOrders',
  market: 'futures',
  dt: 35,
  description: "Updates of the account's futures orders.",
  example: () => ({}),
  simulate: ordersTopic(),
});
