/** futures / order (dt 35, private) -> `futuresOrders`. */
import { ordersChannel } from '../common.ts';
import { ordersTopic } from '../simulated-topics.ts';

export const futuresOrders = ordersChannel({
  id: 'futuresOrders',
  market: 'futures',
  dt: 35,
  description: "Updates of the account's futures orders.",
  example: {
    variables: () => ({}),
    operation: `
    # Updates of your futures orders (needs your API key).
    subscription FuturesOrders($symbol: String) {
      futuresOrders(symbol: $symbol) {
        orderId
        clientOrderId
        symbol
        side
        type
        state
        price
        quantity
        filledQuantity
        remainingQuantity
        avgPrice
        updatedAt
      }
    }
`,
  },
  simulate: ordersTopic(),
});
