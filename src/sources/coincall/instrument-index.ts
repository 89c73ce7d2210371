/**
 * One loaded instrument list, indexed for the questions asked on every
 * subscribe: is this symbol listed, and if not, what is close to it?
 *
 * Built once per successful load, then read-only. Lookups are O(1) (maps by
 * symbol) or O(log n) (expiries and strikes kept sorted per underlying), so a
 * check costs next to nothing on the subscribe path; only a refusal scans a
 * short list (the perpetuals, the underlyings) to name alternatives, and every
 * list a message names is bounded by a named constant.
 */
import type { Instrument, InstrumentMarket } from '../../coincall/rest.ts';
import { expiryCode, parseOptionSymbol } from '../../coincall/symbols.ts';
import { closestNames } from '../../lib/closest.ts';

/** Listed strikes a refusal names for an unlisted option (nearest first, same type). */
export const MAX_SUGGESTED_STRIKES = 3;
/** Listed expiries a refusal names (the soonest). */
export const MAX_SUGGESTED_EXPIRIES = 8;
/** Listed symbols a refusal names for an unlisted futures symbol or underlying. */
export const MAX_SUGGESTED_SYMBOLS = 5;

export type OptionKind = 'CALL' | 'PUT';

export interface InstrumentFilter {
  readonly market?: InstrumentMarket | undefined;
  readonly underlying?: string | undefined;
  readonly expiry?: number | undefined;
  readonly type?: OptionKind | undefined;
}

export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** What a load produced: perpetuals, options, and the option underlyings of the config. */
export interface InstrumentSnapshot {
  readonly futures: readonly Instrument[];
  readonly options: readonly Instrument[];
  readonly optionUnderlyings: readonly string[];
}

export interface InstrumentIndex {
  readonly counts: { readonly options: number; readonly futures: number; readonly underlyings: number };
  /** Listed instruments matching every given filter; expired options are left out. */
  list(filter: InstrumentFilter, now: number): Instrument[];
  /** Unexpired option expiries of an underlying, ascending. */
  expiries(underlying: string, now: number): number[];
  checkFuturesSymbol(symbol: string): CheckResult;
  checkUnderlying(underlying: string): CheckResult;
  checkOption(symbol: string, now: number): CheckResult;
  checkExpiry(underlying: string, expiry: number, now: number): CheckResult;
  /** Whether another index lists exactly the same instruments, field for field. */
  sameAs(other: InstrumentIndex): boolean;
  /** Every instrument, futures first, then options by underlying, expiry, strike and type. */
  readonly all: readonly Instrument[];
}

const OK: CheckResult = { ok: true };

interface Chain {
  /** Ascending expiries. */
  readonly expiries: number[];
  /** Per expiry, the calls and the puts ascending by strike. */
  readonly byExpiry: Map<number, Record<OptionKind, Instrument[]>>;
}

const strikeOf = (i: Instrument): number => Number(i.strike);

function compareOptions(a: Instrument, b: Instrument): number {
  if (a.underlying !== b.underlying) return a.underlying < b.underlying ? -1 : 1;
  return (a.expiry ?? 0) - (b.expiry ?? 0) || strikeOf(a) - strikeOf(b) || (a.type === b.type ? 0 : a.type === 'CALL' ? -1 : 1);
}

/** Index of the first element of an ascending list for which `below` is false. */
function lowerBound<T>(items: readonly T[], below: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const item = items[mid];
    if (item !== undefined && below(item)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Up to `max` items of an ascending-by-strike list nearest to `target`, nearest first. */
function nearestStrikes(sorted: readonly Instrument[], target: number, max: number): Instrument[] {
  let right = lowerBound(sorted, (i) => strikeOf(i) < target);
  let left = right - 1;
  const out: Instrument[] = [];
  while (out.length < max && (left >= 0 || right < sorted.length)) {
    const l = sorted[left];
    const r = sorted[right];
    if (r === undefined || (l !== undefined && target - strikeOf(l) <= strikeOf(r) - target)) {
      if (l !== undefined) out.push(l);
      left--;
    } else {
      out.push(r);
      right++;
    }
  }
  return out;
}

/** "a, b, c" or "a, b, c and 4 more". */
function bounded(names: readonly string[], max: number): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function sameInstrument(a: Instrument, b: Instrument): boolean {
  return (
    a.id === b.id &&
    a.expiry === b.expiry &&
    a.strike === b.strike &&
    a.type === b.type &&
    a.tickSize === b.tickSize &&
    a.minQuantity === b.minQuantity &&
    a.active === b.active &&
    a.underlying === b.underlying
  );
}

export function buildInstrumentIndex(snapshot: InstrumentSnapshot): InstrumentIndex {
  const futures = new Map(snapshot.futures.map((i) => [i.symbol, i]));
  const options = new Map(snapshot.options.map((i) => [i.symbol, i]));
  const sortedOptions = [...options.values()].sort(compareOptions);
  const sortedFutures = [...futures.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  const all = [...sortedFutures, ...sortedOptions];
  const byId = new Map(all.map((i) => [i.id, i]));

  const chains = new Map<string, Chain>();
  for (const underlying of snapshot.optionUnderlyings) chains.set(underlying, { expiries: [], byExpiry: new Map() });
  for (const option of sortedOptions) {
    if (option.expiry === null || option.type === null) continue;
    let chain = chains.get(option.underlying);
    if (chain === undefined) chains.set(option.underlying, (chain = { expiries: [], byExpiry: new Map() }));
    let slot = chain.byExpiry.get(option.expiry);
    if (slot === undefined) {
      chain.byExpiry.set(option.expiry, (slot = { CALL: [], PUT: [] }));
      chain.expiries.push(option.expiry);
    }
    slot[option.type].push(option);
  }
  const underlyingNames = [...chains.keys()].sort();

  const liveExpiries = (chain: Chain, now: number): number[] => chain.expiries.slice(lowerBound(chain.expiries, (e) => e <= now));

  const unlistedSymbol = (symbol: string, listed: readonly string[], what: string): CheckResult => {
    const close = closestNames(symbol, listed, MAX_SUGGESTED_SYMBOLS);
    if (close.length > 0) return { ok: false, message: `${symbol} is not a listed ${what}; did you mean ${close.join(', ')}?` };
    return { ok: false, message: `${symbol} is not a listed ${what}; listed: ${bounded(listed, MAX_SUGGESTED_SYMBOLS) || 'none'}.` };
  };

  const unlistedExpiry = (chain: Chain, underlying: string, what: string, now: number, format: (e: number) => string): CheckResult => {
    const live = liveExpiries(chain, now).map(format);
    const listed =
      live.length === 0
        ? `no ${underlying} expiry is listed now`
        : `listed ${underlying} expiries: ${bounded(live, MAX_SUGGESTED_EXPIRIES)}`;
    return { ok: false, message: `${what}; ${listed}.` };
  };

  const index: InstrumentIndex = {
    counts: { options: options.size, futures: futures.size, underlyings: chains.size },
    all,

    list(filter, now) {
      const chain = filter.underlying === undefined ? undefined : chains.get(filter.underlying);
      const source =
        filter.market !== 'FUTURES' && chain !== undefined && filter.expiry !== undefined
          ? [...(chain.byExpiry.get(filter.expiry)?.CALL ?? []), ...(chain.byExpiry.get(filter.expiry)?.PUT ?? [])].sort(compareOptions)
          : all;
      return source.filter(
        (i) =>
          (filter.market === undefined || i.market === filter.market) &&
          (filter.underlying === undefined || i.underlying === filter.underlying) &&
          (filter.expiry === undefined || i.expiry === filter.expiry) &&
          (filter.type === undefined || i.type === filter.type) &&
          (i.expiry === null || i.expiry > now),
      );
    },

    expiries(underlying, now) {
      const chain = chains.get(underlying);
      return chain === undefined ? [] : liveExpiries(chain, now);
    },

    checkFuturesSymbol(symbol) {
      return futures.has(symbol)
        ? OK
        : unlistedSymbol(
            symbol,
            sortedFutures.map((i) => i.symbol),
            'futures symbol',
          );
    },

    checkUnderlying(underlying) {
      return chains.has(underlying) ? OK : unlistedSymbol(underlying, underlyingNames, 'option underlying');
    },

    checkOption(symbol, now) {
      const listed = options.get(symbol);
      if (listed !== undefined && (listed.expiry ?? 0) > now) return OK;
      const parsed = parseOptionSymbol(symbol);
      if (parsed === undefined) return { ok: false, message: `${symbol} is not a listed option.` };
      const chain = chains.get(parsed.underlying);
      if (chain === undefined) return unlistedSymbol(parsed.underlying, underlyingNames, 'option underlying');
      const slot = chain.byExpiry.get(parsed.expiry);
      if (slot === undefined || parsed.expiry <= now) {
        const why = parsed.expiry <= now ? 'has expired' : `is not listed (no ${parsed.underlying} expiry ${expiryCode(parsed.expiry)})`;
        return unlistedExpiry(chain, parsed.underlying, `${symbol} ${why}`, now, expiryCode);
      }
      const sameType = slot[parsed.type];
      const near = nearestStrikes(
        sameType.length > 0 ? sameType : [...slot.CALL, ...slot.PUT].sort(compareOptions),
        Number(parsed.strike),
        MAX_SUGGESTED_STRIKES,
      );
      return { ok: false, message: `${symbol} is not listed; nearest listed strikes: ${near.map((i) => i.symbol).join(', ')}.` };
    },

    checkExpiry(underlying, expiry, now) {
      const chain = chains.get(underlying);
      if (chain === undefined) return unlistedSymbol(underlying, underlyingNames, 'option underlying');
      if (expiry > now && chain.byExpiry.has(expiry)) return OK;
      const iso = (e: number) => new Date(e).toISOString();
      const what = expiry <= now ? `expiry ${iso(expiry)} has passed` : `no ${underlying} options expire at ${iso(expiry)}`;
      return unlistedExpiry(chain, underlying, what, now, iso);
    },

    sameAs(other) {
      if (other.all.length !== all.length || other.counts.underlyings !== chains.size) return false;
      for (const i of other.all) {
        const mine = byId.get(i.id);
        if (mine === undefined || !sameInstrument(mine, i)) return false;
      }
      return underlyingNames.every((u) => other.checkUnderlying(u).ok);
    },
  };
  return index;
}
