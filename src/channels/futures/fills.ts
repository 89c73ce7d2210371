/** futures / fillSignal (dt 34, private) -> `futuresFills`. No upstream payload; `symbol` filters per subscriber. */
import { fillsChannel } from '../common.ts';
import { fillsTopic } from '../simulated-topics.ts';

export const futuresFills = fillsChannel({
  id: 'futuresFills',
  market: 'futures',
  dt: 34,
  description: "Fill signals of the account's futures orders.",
  example: {
    variables: () => ({}),
    operation: `
    # Fill signals of your futures orders (needs your API key).
    subscription FuturesFills($symbol: String) {
      futuresFills(symbol: $symbol) {
        symbol
        eventType
        timestamp
      }
    }
`,
  },
  simulate: fillsTopic({ optionFilter: false }),
});
