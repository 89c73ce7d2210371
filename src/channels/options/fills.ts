/** options / fillSignal (dt 8, private) -> `optionFills`. The options channel takes a symbol upstream. */
import { arg } from '../args.ts';
import { bySymbol, defineChannel } from '../channel.ts';
import { FillSignalShape } from '../shapes/fill-signal.ts';
import { fillsTopic } from '../simulated-topics.ts';

export const optionFills = defineChannel({
  id: 'optionFills',
  market: 'options',
  dataType: 'fillSignal',
  dt: [8],
  access: 'private',
  delivery: 'event',
  description: "Fill signals of the account's orders on one option.",
  item: FillSignalShape,
  args: { symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-26000-C`.') },
  topic: ({ symbol }) => ({ key: symbol, payload: { symbol } }),
  keyOf: bySymbol,
  example: {
    variables: (x) => ({ symbol: x.option }),
    operation: `
    # Fill signals of your orders on one option (needs your API key).
    subscription OptionFills($symbol: String!) {
      optionFills(symbol: $symbol) {
        symbol
        eventType
        timestamp
      }
    }
`,
  },
  simulate: fillsTopic({ optionFilter: true }),
});
