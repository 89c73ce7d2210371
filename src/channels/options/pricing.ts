/** options / bsInfo (dt 3) -> `optionPricing`. */
import { arg } from '../args.ts';
import { bySymbol, defineChannel } from '../channel.ts';
import { OptionPricingShape } from '../shapes/option-pricing.ts';
import { symbolTopic } from '../simulated-topics.ts';
import { one } from '../simulation.ts';
import { STREAMING_STALE_AFTER_MS } from '../common.ts';

export const optionPricing = defineChannel({
  id: 'optionPricing',
  market: 'options',
  dataType: 'bsInfo',
  dt: [3],
  access: 'public',
  batchable: true,
  delivery: 'state',
  staleAfterMs: STREAMING_STALE_AFTER_MS,
  throttle: 'latest',
  twin: 'state',
  description: "An option's mark price, implied volatility and greeks.",
  item: OptionPricingShape,
  args: { symbol: arg.optionSymbol('Option symbol, e.g. `BTCUSD-27MAY23-23500-C`.'), throttleMs: arg.throttleMs() },
  topic: ({ symbol }) => ({ key: symbol, payload: { symbol } }),
  keyOf: bySymbol,
  example: {
    variables: (x) => ({ symbol: x.option }),
    operation: `
    # Mark price, implied volatility and greeks of one option.
    subscription OptionPricing($symbol: String!) {
      optionPricing(symbol: $symbol) {
        symbol
        markPrice
        impliedVolatility
        delta
        gamma
        vega
        theta
        underlyingPrice
        timestamp
      }
    }
`,
  },
  simulate: symbolTopic({ symbol: 'option', batch: true, watched: true }, (sim, symbol) => one(sim.exchange.pricingRecord(symbol))),
});
