/**
 * What GraphiQL's example variables are computed from, each time the page is
 * served: the example underlying, the second daily expiry (08:00 UTC, one to
 * two days ahead, listed by the exchange and the simulator alike) and a call
 * of that expiry near the money. Each channel file turns this context into
 * its example's variables. When an instrument list is at hand (the
 * registry's: on the simulator its own list, live once loaded) the expiry and
 * the option are LISTED ones: the listed expiry nearest that second daily one,
 * and its listed call nearest the reference price.
 */
import { DAY_MS, nextDailyExpiry, optionSymbol } from '../coincall/symbols.ts';
import type { InstrumentList, ListedInstrument } from './listing.ts';

/** The underlying of every example. */
export const EXAMPLE_UNDERLYING = 'BTCUSD';
/** Distance between BTCUSD strikes near the money (the exchange's and the simulator's grid). */
export const EXAMPLE_STRIKE_STEP = 1_000;
/**
 * Used when no market price is at hand (a live upstream): a round BTCUSD level
 * for the example option's strike. The expiry is right either way; pick a
 * listed strike from the optionChain tab if this one is not listed.
 */
export const FALLBACK_REFERENCE_PRICE = 100_000;

/** What the examples' variables are computed from. */
export interface ExampleMarket {
  /** Current time in ms. */
  readonly now: number;
  /** A recent BTCUSD price, for a strike near the money; `FALLBACK_REFERENCE_PRICE` when omitted. */
  readonly referencePrice?: number | undefined;
  /** The instrument list: examples then name a listed expiry and option (guesses while it is empty). */
  readonly listed?: InstrumentList | undefined;
}

/** The values a channel's example variables are made of. */
export interface ExampleContext {
  readonly now: number;
  /** `BTCUSD`. */
  readonly underlying: string;
  /** The example expiry as a DateTime (ISO 8601). */
  readonly expiry: string;
  /** The example option: a call of the example expiry near the money. */
  readonly option: string;
}

/** A channel's example variables: GraphQL argument values by name. */
export type ExampleVariables = Readonly<Record<string, unknown>>;

/** A channel's example: GraphiQL's tab and the codegen document. */
export interface ChannelExample {
  /**
   * The example operation, indented as it sits in the channel file;
   * `npm run schema` writes it, dedented, to schema/operations/<id>.graphql.
   */
  readonly operation: string;
  /** Its variables (every variable the operation declares, defaults included), valid at `ctx.now`. */
  variables(ctx: ExampleContext): ExampleVariables;
}

/** An operation's text as written to its file: without the common indent and the blank first and last lines. */
export function operationText(indented: string): string {
  const lines = indented.split('\n');
  while (lines[0]?.trim() === '') lines.shift();
  while (lines.at(-1)?.trim() === '') lines.pop();
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

/**
 * The example expiry: the second daily expiry from `now`, 08:00 UTC between
 * one and two days ahead. Listed by the exchange and the simulator alike, and
 * never minutes from expiring while someone reads the page.
 */
export function exampleExpiry(now: number): number {
  return nextDailyExpiry(now) + DAY_MS;
}

/** The example option: a BTCUSD call of the example expiry at the strike nearest the reference price. */
export function exampleOption(market: ExampleMarket): string {
  const reference = market.referencePrice ?? FALLBACK_REFERENCE_PRICE;
  const strike = Math.max(1, Math.round(reference / EXAMPLE_STRIKE_STEP)) * EXAMPLE_STRIKE_STEP;
  return optionSymbol(EXAMPLE_UNDERLYING, exampleExpiry(market.now), String(strike), 'CALL');
}

/** A listed call of the listed expiry nearest the example expiry, at the strike nearest the reference price. */
export function listedExampleOption(market: ExampleMarket): ListedInstrument | undefined {
  const wanted = exampleExpiry(market.now);
  const reference = market.referencePrice ?? FALLBACK_REFERENCE_PRICE;
  const calls = (market.listed?.list({ market: 'OPTIONS', underlying: EXAMPLE_UNDERLYING }) ?? []).filter(
    (i) => i.type === 'CALL' && i.expiry !== null && i.expiry > market.now,
  );
  let best: ListedInstrument | undefined;
  const distance = (i: ListedInstrument) => [Math.abs((i.expiry ?? 0) - wanted), Math.abs(Number(i.strike) - reference)] as const;
  for (const call of calls) {
    if (best === undefined) best = call;
    const [de, ds] = distance(call);
    const [be, bs] = distance(best);
    if (de < be || (de === be && ds < bs)) best = call;
  }
  return best;
}

export function exampleContext(market: ExampleMarket): ExampleContext {
  const listed = listedExampleOption(market);
  if (listed !== undefined && listed.expiry !== null)
    return { now: market.now, underlying: EXAMPLE_UNDERLYING, expiry: new Date(listed.expiry).toISOString(), option: listed.symbol };
  return {
    now: market.now,
    underlying: EXAMPLE_UNDERLYING,
    expiry: new Date(exampleExpiry(market.now)).toISOString(),
    option: exampleOption(market),
  };
}
