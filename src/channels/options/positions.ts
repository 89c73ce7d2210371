/**
 * options / position (dt 12, private) -> `optionPositions`. One upstream
 * subscription per account carries every position; the `underlyings` filter
 * is applied per subscriber, so different filters share it.
 */
import { arg } from '../args.ts';
import { defineChannel } from '../channel.ts';
import { PositionShape } from '../shapes/position.ts';
import { positionsTopic } from '../simulated-topics.ts';

export const optionPositions = defineChannel({
  id: 'optionPositions',
  market: 'options',
  dataType: 'position',
  dt: [12],
  access: 'private',
  delivery: 'event',
  throttle: 'latestBySymbol',
  twin: 'latestBySymbol',
  description: "Snapshots of the account's option positions.",
  item: PositionShape,
  args: { underlyings: arg.underlyings(), throttleMs: arg.throttleMs() },
  topic: () => ({ key: '', payload: undefined }),
  keyOf: () => '',
  filter: (position, { underlyings }) =>
    underlyings === undefined || underlyings.some((u) => position.symbol.startsWith(`${u}-`) || position.symbol === u) ? position : null,
  example: {
    variables: (x) => ({ underlyings: [x.underlying] }),
    operation: `
    # Snapshots of your option positions, optionally on some underlyings (needs your API key).
    subscription OptionPositions($underlyings: [String!]) {
      optionPositions(underlyings: $underlyings) {
        symbol
        side
        quantity
        avgPrice
        markPrice
        unrealizedPnl
        delta
        gamma
        vega
        theta
        timestamp
      }
    }
`,
  },
  simulate: positionsTopic({ underlyingFilter: true }),
});
