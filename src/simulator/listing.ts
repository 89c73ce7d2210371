/**
 * What the simulator lists, as the exchange would: its perpetuals, its option
 * underlyings, their expiries (rolling with time: dailies at 08:00 UTC,
 * Friday weeklies, last-Friday monthlies) and, per expiry, its strikes.
 *
 * Strikes are fixed when an expiry is first listed: the grid around the
 * index at that moment (`STRIKES_EACH_SIDE` each side of the money), kept
 * until the expiry passes. So a subscriber's option stays listed for its
 * whole life even as the index walks, and the REST answers, the subscribe
 * checks and the chain frames all read one list. Expiries listed when the
 * simulator starts get strikes around the start price.
 */
import { optionSymbol, parseOptionSymbol } from '../coincall/symbols.ts';
import { listedExpiries, strikeGrid, UNDERLYINGS, underlyingSpec } from './instruments.ts';

/** One listed option, as the REST rows and the checks need it. */
export interface ListedOption {
  readonly symbol: string;
  readonly underlying: string;
  readonly expiry: number;
  readonly strike: string;
  readonly type: 'CALL' | 'PUT';
}

const TYPES = ['CALL', 'PUT'] as const;

export class SimulatorListing {
  /** Strikes by `underlying|expiry`, fixed at first listing. */
  private readonly strikes = new Map<string, readonly string[]>();
  private rolledAt = Number.NaN;
  private readonly indexOf: (underlying: string) => number;

  /** `indexOf`: the underlying's index now (the strike grid is centred on it when an expiry is first listed). */
  constructor(indexOf: (underlying: string) => number) {
    this.indexOf = indexOf;
  }

  /** Listed perpetuals (every simulated underlying). */
  futures(): readonly string[] {
    return UNDERLYINGS.map((u) => u.symbol);
  }

  /** Option underlyings (every simulated underlying). */
  optionUnderlyings(): readonly string[] {
    return UNDERLYINGS.map((u) => u.symbol);
  }

  isUnderlying(symbol: string): boolean {
    return underlyingSpec(symbol) !== undefined;
  }

  /** Listed expiries at `now`, ascending (the same for every underlying). */
  expiries(now: number): readonly number[] {
    return listedExpiries(now);
  }

  /** Strikes listed for an underlying and expiry; empty when that expiry is not listed at `now`. */
  strikesOf(underlying: string, expiry: number, now: number): readonly string[] {
    this.roll(now);
    return this.strikes.get(`${underlying}|${expiry}`) ?? [];
  }

  isListedExpiry(underlying: string, expiry: number, now: number): boolean {
    return this.strikesOf(underlying, expiry, now).length > 0;
  }

  /** Whether an option symbol is listed (known underlying, listed expiry, listed strike) at `now`. */
  isListedOption(symbol: string, now: number): boolean {
    const parsed = parseOptionSymbol(symbol);
    if (parsed === undefined || parsed.expiry <= now) return false;
    return this.strikesOf(parsed.underlying, parsed.expiry, now).includes(parsed.strike);
  }

  /** Every listed option of an underlying at `now`: by expiry, strike, call before put. */
  options(underlying: string, now: number): ListedOption[] {
    const out: ListedOption[] = [];
    for (const expiry of this.expiries(now))
      for (const strike of this.strikesOf(underlying, expiry, now))
        for (const type of TYPES) out.push({ symbol: optionSymbol(underlying, expiry, strike, type), underlying, expiry, strike, type });
    return out;
  }

  /** Lists new expiries (strikes around the index now) and forgets passed ones; every reader calls it. */
  roll(now: number): void {
    if (now === this.rolledAt) return;
    this.rolledAt = now;
    const live = new Set(listedExpiries(now));
    for (const key of [...this.strikes.keys()]) if (!live.has(Number(key.slice(key.indexOf('|') + 1)))) this.strikes.delete(key);
    for (const spec of UNDERLYINGS)
      for (const expiry of live) {
        const key = `${spec.symbol}|${expiry}`;
        if (!this.strikes.has(key)) this.strikes.set(key, strikeGrid(spec, this.indexOf(spec.symbol)));
      }
  }
}
