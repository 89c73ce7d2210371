/** futures / position (dt 36, private) -> `futuresPositions`. */
import { positionsChannel } from '../common.ts';
import { positionsTopic } from '../simulated-topics.ts';

export const futuresPositions = positionsChannel({
  id: 'futuresPositions',
  market: 'futures',
  dt: 36,
  description: "Snapshots of the account's futures positions.",
  example: {
    variables: () => ({}),
    operation: `
    # Snapshots of your futures positions (needs your API key).
    subscription FuturesPositions($symbol: String) {
      futuresPositions(symbol: $symbol) {
        symbol
        side
        quantity
        avgPrice
        markPrice
        lastPrice
        leverage
        unrealizedPnl
        estimatedLiquidationPrice
        timestamp
      }
    }
`,
  },
  simulate: positionsTopic({ underlyingFilter: false }),
});
