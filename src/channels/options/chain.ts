/**
 * options / tOption (dt 4) -> `optionChain`. A frame carries tickers of one
 * underlying and expiry; the topic merges them by symbol into the chain, so
 * partial frames still give a complete chain. Filters: type and strike range.
 */
import { arg, requireListed } from '../args.ts';
import { defineChannel } from '../channel.ts';
import type { RecordOf } from '../fields.ts';
import { DAY_MS, EXPIRY_HOUR_UTC, HOUR_MS } from '../../coincall/symbols.ts';
import { badInput } from '../../lib/errors.ts';
import { OptionChainShape, OptionTickerShape } from '../shapes/option-ticker.ts';
import { list, simulated } from '../simulation.ts';
import { STREAMING_STALE_AFTER_MS } from '../common.ts';

type Ticker = RecordOf<typeof OptionTickerShape>;
type Chain = RecordOf<typeof OptionChainShape>;
/** The simulator's topic: one underlying and expiry (ms). */
interface ChainTopic {
  readonly underlying: string;
  readonly end: number;
}

const byStrikeThenType = (a: Ticker, b: Ticker) =>
  Number(a.strike) - Number(b.strike) || (a.type === b.type ? 0 : a.type === 'CALL' ? -1 : 1);

function mergeChain(tickers: readonly Ticker[], previous: Chain | undefined): Chain {
  const first = tickers[0] as Ticker;
  const bySymbol = new Map<string, Ticker>(previous?.tickers.map((t) => [t.symbol, t]));
  let timestamp = previous?.timestamp ?? null;
  for (const ticker of tickers) {
    bySymbol.set(ticker.symbol, ticker);
    if (ticker.timestamp !== null) timestamp = Math.max(timestamp ?? ticker.timestamp, ticker.timestamp);
  }
  const id = `${first.underlying}:${new Date(first.expiry).toISOString()}`;
  return { id, underlying: first.underlying, expiry: first.expiry, timestamp, tickers: [...bySymbol.values()].sort(byStrikeThenType) };
}

export const optionChain = defineChannel({
  id: 'optionChain',
  market: 'options',
  dataType: 'tOption',
  dt: [4],
  access: 'public',
  delivery: 'state',
  staleAfterMs: STREAMING_STALE_AFTER_MS,
  throttle: 'latest',
  description: 'The option chain of one underlying and expiry: every call and put with quotes and greeks.',
  item: OptionTickerShape,
  output: { shape: OptionChainShape, list: false },
  args: {
    underlying: arg.underlying('Underlying, e.g. `BTCUSD`.'),
    expiry: arg.expiry(),
    type: arg.optionType(),
    minStrike: arg.strike('Only strikes at or above this one.'),
    maxStrike: arg.strike('Only strikes at or below this one.'),
    throttleMs: arg.throttleMs(),
  },
  validate: ({ underlying, expiry, minStrike, maxStrike }, listing) => {
    if (minStrike !== undefined && maxStrike !== undefined && minStrike > maxStrike)
      throw badInput(`optionChain: "minStrike" (${minStrike}) is above "maxStrike" (${maxStrike}).`);
    requireListed(listing?.checkExpiry(underlying, expiry), 'optionChain');
  },
  twin: 'state',
  viewArgs: ['type', 'minStrike', 'maxStrike'],
  topic: ({ underlying, expiry }) => ({ key: `${underlying}|${expiry}`, payload: { symbol: underlying, end: expiry } }),
  keyOf: (t) => `${t.underlying}|${t.expiry}`,
  toEvents: (tickers, previous: Chain | undefined) => (tickers.length === 0 ? [] : [mergeChain(tickers, previous)]),
  // The whole chain's tickers rebuild it (merged over any previous chain: tickers are replaced by symbol).
  itemsOf: (chain: Chain) => chain.tickers,
  filter: (chain, { type, minStrike, maxStrike }) => {
    if (type === undefined && minStrike === undefined && maxStrike === undefined) return chain;
    const tickers = chain.tickers.filter(
      (t) =>
        (type === undefined || t.type === type) &&
        (minStrike === undefined || Number(t.strike) >= minStrike) &&
        (maxStrike === undefined || Number(t.strike) <= maxStrike),
    );
    return tickers.length === 0 ? null : { ...chain, tickers };
  },
  example: {
    variables: (x) => ({ underlying: x.underlying, expiry: x.expiry, type: 'CALL' }),
    operation: `
    # The option chain of one BTCUSD expiry (08:00 UTC); type, minStrike and maxStrike narrow it to calls or puts in a strike range.
    subscription OptionChain($underlying: String! = "BTCUSD", $expiry: DateTime!, $type: OptionType, $minStrike: Float, $maxStrike: Float) {
      optionChain(underlying: $underlying, expiry: $expiry, type: $type, minStrike: $minStrike, maxStrike: $maxStrike) {
        underlying
        expiry
        timestamp
        tickers {
          symbol
          strike
          type
          bid
          ask
          markPrice
          markIv
          delta
        }
      }
    }
`,
  },
  simulate: simulated<ChainTopic>({
    symbol: 'underlying',
    params: (underlying, payload, request) => {
      const end = payload?.['end'];
      if (typeof end !== 'number' || !Number.isInteger(end)) return 'end must be the expiry in ms';
      if ((end - EXPIRY_HOUR_UTC * HOUR_MS) % DAY_MS !== 0) return 'end is not an expiry (08:00 UTC)';
      if (end <= request.now) return 'expiry has passed';
      if (!request.isListedExpiry(underlying, end)) return `no ${underlying} options expire at ${new Date(end).toISOString()}: not listed`;
      return { underlying, end };
    },
    payloadOf: ({ underlying, end }) => ({ symbol: underlying, end }),
    frames: ({ underlying, end }, sim) => list(sim.exchange.chainRecords(underlying, end)),
  }),
});
