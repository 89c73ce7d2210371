/** options / order (dt 11, private) -> `optionOrders`. */
import { ordersChannel } from '../common.ts';
import { ordersTopic } from '../simulated-topics.ts';

export const optionOrders = ordersChannel({
  id: 'optionOrders',
  market: 'options',
  dt: 11,
  description: "Updates of the account's option orders.",
  example: {
    variables: () => ({}),
    operation: `
    # Updates of your option orders (needs your API key).
    subscription OptionOrders($symbol: String) {
      optionOrders(symbol: $symbol) {
        orderId
        clientOrderId
        symbol
        side
        type
        timeInForce
        state
        price
        quantity
        filledQuantity
        fillPrice
        fillQuantity
        isTaker
        updatedAt
      }
    }
`,
  },
  simulate: ordersTopic(),
});
