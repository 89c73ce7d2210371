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
 *
 * Tests that replay the exchange's own example frames (options of May 2023
 * far from the simulated money) name those options as `extraOptions`: they
 * are listed too, with their expiries, until they expire.
 */
import { optionSymbol, parseOptionSymbol } from '../coincall/symbols.ts';
import { listedExpiries, strikeGrid, UNDERLYINGS, underlyingSpec } from './instrument-specs.ts';

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
  /** Extra listed strikes by `underlying|expiry`. */
  private readonly extras = new Map<string, Set<string>>();

  /**
   * `indexOf`: the underlying's index now (the strike grid is centred on it
   * when an expiry is first listed). `extraOptions`: option symbols listed
   * besides the grid (their underlying must be a simulated one).
   */
  constructor(indexOf: (underlying: string) => number, extraOptions: readonly string[] = []) {
    this.indexOf = indexOf;
    for (const symbol of extraOptions) {
      const parsed = parseOptionSymbol(symbol);
      if (parsed === undefined || underlyingSpec(parsed.underlying) === undefined)
        throw new RangeError(`not an option of a simulated underlying: ${symbol}`);
      const key = `${parsed.underlying}|${parsed.expiry}`;
      const strikes = this.extras.get(key) ?? new Set<string>();
      strikes.add(parsed.strike);
      this.extras.set(key, strikes);
    }
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

  /** Listed expiries of an underlying at `now`, ascending. */
  expiries(now: number, underlying?: string): readonly number[] {
    const out = new Set(listedExpiries(now));
    for (const key of this.extras.keys()) {
      const [u = '', e = ''] = key.split('|');
      if ((underlying === undefined || u === underlying) && Number(e) > now) out.add(Number(e));
    }
    return [...out].sort((a, b) => a - b);
  }

  /** Strikes listed for an underlying and expiry, ascending; empty when that expiry is not listed at `now`. */
  strikesOf(underlying: string, expiry: number, now: number): readonly string[] {
    this.roll(now);
    const key = `${underlying}|${expiry}`;
    const grid = this.strikes.get(key) ?? [];
    const extra = expiry > now ? this.extras.get(key) : undefined;
    if (extra === undefined) return grid;
    return [...new Set([...grid, ...extra])].sort((a, b) => Number(a) - Number(b));
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
    for (const expiry of this.expiries(now, underlying))
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
