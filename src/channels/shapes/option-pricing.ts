/** `OptionPricing`: one option's pricing and greeks (bsInfo channel, dt 3). */
import { defineShape, f } from '../fields.ts';

export const OptionPricingShape = defineShape(
  'OptionPricing',
  "An option's mark, last price, implied volatility and greeks (bsInfo channel).",
  {
    symbol: f.string(['s'], 'Option symbol, e.g. `BTCUSD-27MAY23-24000-P`.', { required: true }),
    id: f.id(
      [],
      "Cache identity for normalizing caches (Apollo): the root field, the symbol and the view's arguments, e.g. `optionPricing:BTCUSD-27MAY23-24000-P`. Stable for the same view; distinct views (other arguments) never share it.",
      { required: true, compute: (r) => r['symbol'] },
    ),
    markPrice: f.decimal(['mp'], 'Mark price.'),
    lastPrice: f.decimal(['lp'], 'Last traded price.'),
    indexPrice: f.decimal(['ip'], 'Index price of the underlying.'),
    underlyingPrice: f.decimal(['up'], 'Underlying price used for pricing.'),
    high24h: f.decimal(['h'], 'Highest price of the last 24 h.'),
    low24h: f.decimal(['l'], 'Lowest price of the last 24 h.'),
    impliedVolatility: f.float(['iv'], 'Implied volatility, as a fraction (1.18 = 118 %).'),
    delta: f.float(['delta'], 'Delta.'),
    gamma: f.float(['gamma'], 'Gamma.'),
    vega: f.float(['vega'], 'Vega.'),
    theta: f.float(['theta'], 'Theta.'),
    changePrice: f.decimal(['cp'], 'Price change over the last 24 h.'),
    changeRate: f.float(['cr'], 'Price change over the last 24 h as a fraction.'),
    openPrice24h: f.decimal(['pr0'], 'Price at the start of the 24 h window.'),
    openInterest: f.decimal(['oi'], 'Open interest.'),
    volume24h: f.decimal(['v24'], 'Traded volume of the last 24 h, in contracts.'),
    usdVolume24h: f.decimal(['uv24'], 'Traded volume of the last 24 h, in USD.'),
    volume: f.decimal(['tv', 'v'], 'Traded volume (upstream `tv`, live `v`).'),
    usdVolume: f.decimal(['tva', 'uv'], 'Traded volume in USD (upstream `tva`, live `uv`).'),
    remainingTimeMs: f.float(['rt'], 'Remaining time to expiry, in milliseconds.'),
    timestamp: f.timestamp(['ts'], 'Time of the update.'),
  },
);
