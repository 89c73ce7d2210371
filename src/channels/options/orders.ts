/** options / order (dt 11, private) -> `optionOrders`. */
import { ordersChannel } from '../common.ts';
import { ordersTopic } from '../simulated-topics.ts';

export const optionOrders = ordersChannel({
  id: 'optionOrders',
  market: 'options',
  dt: 11,
  description: "Updates of the account's option orders.",
  example: () => ({}),
  simulate: ordersTopic(),
});
