/** `OptionTicker` and `OptionChain`: the tOption channel (dt 4), one expiry's calls and puts. */
import { parseOptionSymbol } from '../../coincall/symbols.ts';
import { OptionType } from '../enums.ts';
import { defineShape, f } from '../fields.ts';

const symbolPart =
  <K extends 'underlying' | 'expiry' | 'strike' | 'type'>(part: K) =>
  (record: Readonly<Record<string, unknown>>) =>
    typeof record['symbol'] === 'string' ? (parseOptionSymbol(record['symbol'])?.[part] ?? null) : null;

export const OptionTickerShape = defineShape('OptionTicker', 'One option of a chain: quote, pricing and greeks.', {
  symbol: f.string(['s'], 'Option symbol.', { required: true }),
  id: f.id([], 'Cache identity for normalizing caches (Apollo): the option symbol (a ticker is the same in every chain view).', {
    required: true,
    compute: (r) => r['symbol'],
  }),
  underlying: f.string([], 'Underlying, derived from the symbol.', { required: true, compute: symbolPart('underlying') }),
  expiry: f.timestamp([], 'Expiry (08:00 UTC), derived from the symbol.', { required: true, compute: symbolPart('expiry') }),
  strike: f.decimal([], 'Strike, derived from the symbol.', { required: true, compute: symbolPart('strike') }),
  type: f.enum(OptionType, [], 'Call or put, derived from the symbol.', { required: true, compute: symbolPart('type') }),
  markPrice: f.decimal(['mp'], 'Mark price.'),
  lastPrice: f.decimal(['lp'], 'Last traded price.'),
  bid: f.decimal(['bid'], 'Best bid price.'),
  ask: f.decimal(['ask'], 'Best ask price.'),
  bidSize: f.decimal(['bv', 'bs'], 'Size at the best bid (upstream `bv`, live `bs`).'),
  askSize: f.decimal(['av', 'as'], 'Size at the best ask (upstream `av`, live `as`).'),
  bidIv: f.float(['biv'], 'Implied volatility of the best bid, as a fraction.'),
  askIv: f.float(['aiv'], 'Implied volatility of the best ask, as a fraction.'),
  markIv: f.float(['miv'], 'Implied volatility of the mark price, as a fraction.'),
  delta: f.float(['delta'], 'Delta.'),
  gamma: f.float(['gamma'], 'Gamma.'),
  vega: f.float(['vega'], 'Vega.'),
  theta: f.float(['theta'], 'Theta.'),
  changePrice: f.decimal(['cp'], 'Price change over the last 24 h.'),
  changeRate: f.float(['cr'], 'Price change over the last 24 h as a fraction.'),
  openInterest: f.decimal(['oi'], 'Open interest.'),
  volume24h: f.decimal(['v24'], 'Traded volume of the last 24 h.'),
  volume: f.decimal(['tv', 'v'], 'Traded volume (upstream `tv`, live `v`).'),
  underlyingPrice: f.decimal(['up'], 'Underlying price.'),
  underlyingPriceVariant: f.decimal(
    ['upv'],
    'Upstream field `upv`, undocumented by the exchange (apparently an underlying-price variant); carried as-is.',
  ),
  timestamp: f.timestamp(['ts'], 'Time of the update.'),
});

export const OptionChainShape = defineShape('OptionChain', 'The options of one underlying and expiry, calls and puts, sorted by strike.', {
  id: f.id(
    [],
    "Cache identity for normalizing caches (Apollo): the root field, the underlying, expiry and the view's arguments, e.g. `optionChain:BTCUSD:2023-05-27T08:00:00.000Z:type=CALL`. Stable for the same view; distinct views (other arguments) never share it.",
    { required: true },
  ),
  underlying: f.string([], 'Underlying, e.g. `BTCUSD`.', { required: true }),
  expiry: f.timestamp([], 'Expiry of every option in the chain (08:00 UTC).', { required: true }),
  timestamp: f.timestamp([], 'Time of the latest update in the chain (null until a ticker carries one).'),
  tickers: f.list(OptionTickerShape, [], 'The options, sorted by strike, calls before puts.', { required: true }),
});
