/**
 * The simulator's instruments: the underlyings it quotes (start price, tick,
 * strike grid, volatility), the option expiries it lists, and number
 * formatting helpers that turn model floats into exact decimal strings.
 */
import { DAY_MS, EXPIRY_HOUR_UTC, nextDailyExpiry, parseOptionSymbol, type OptionSymbol } from '../coincall/symbols.ts';
import { numberToPlainString } from '../lib/decimal.ts';

export interface UnderlyingSpec {
  readonly symbol: string;
  readonly startPrice: number;
  /** Futures price tick. */
  readonly tick: number;
  /** Distance between listed strikes. */
  readonly strikeStep: number;
  /** At-the-money implied volatility (a fraction). */
  readonly baseVol: number;
  /** Option price tick. */
  readonly optionTick: number;
  /** Decimals of order sizes. */
  readonly sizeDecimals: number;
}

export const UNDERLYINGS: readonly UnderlyingSpec[] = [
  { symbol: 'BTCUSD', startPrice: 65_000, tick: 0.5, strikeStep: 1_000, baseVol: 0.55, optionTick: 1, sizeDecimals: 3 },
  { symbol: 'ETHUSD', startPrice: 3_200, tick: 0.05, strikeStep: 50, baseVol: 0.65, optionTick: 0.1, sizeDecimals: 2 },
  { symbol: 'SOLUSD', startPrice: 150, tick: 0.01, strikeStep: 5, baseVol: 0.8, optionTick: 0.01, sizeDecimals: 1 },
  { symbol: 'XRPUSD', startPrice: 0.6, tick: 0.0001, strikeStep: 0.05, baseVol: 0.9, optionTick: 0.0001, sizeDecimals: 0 },
  { symbol: 'DOGEUSD', startPrice: 0.18, tick: 0.00001, strikeStep: 0.002, baseVol: 1.0, optionTick: 0.0001, sizeDecimals: 0 },
];

export const UNDERLYING_SYMBOLS: readonly string[] = UNDERLYINGS.map((u) => u.symbol);

export function underlyingSpec(symbol: string): UnderlyingSpec | undefined {
  return UNDERLYINGS.find((u) => u.symbol === symbol);
}

/** Strikes listed on each side of the at-the-money strike. */
export const STRIKES_EACH_SIDE = 5;
export const DAILY_EXPIRIES = 3;
export const WEEKLY_EXPIRIES = 2;
export const MONTHLY_EXPIRIES = 2;
const FRIDAY = 5;

/** The listed expiries at `now` (dailies, Friday weeklies, last-Friday monthlies), ascending. */
export function listedExpiries(now: number): number[] {
  const out = new Set<number>();
  const first = nextDailyExpiry(now);
  for (let i = 0; i < DAILY_EXPIRIES; i++) out.add(first + i * DAY_MS);
  let fridays = 0;
  for (let t = first; fridays < WEEKLY_EXPIRIES; t += DAY_MS) {
    if (new Date(t).getUTCDay() === FRIDAY) {
      out.add(t);
      fridays++;
    }
  }
  const start = new Date(now);
  let months = 0;
  for (let m = 0; months < MONTHLY_EXPIRIES; m++) {
    const expiry = lastFriday(start.getUTCFullYear(), start.getUTCMonth() + m);
    if (expiry > now) {
      out.add(expiry);
      months++;
    }
  }
  return [...out].sort((a, b) => a - b);
}

function lastFriday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0, EXPIRY_HOUR_UTC));
  const back = (last.getUTCDay() - FRIDAY + 7) % 7;
  return last.getTime() - back * DAY_MS;
}

/** Strikes around `spot` on the underlying's grid, as strike texts. */
export function strikeGrid(spec: UnderlyingSpec, spot: number): string[] {
  const atm = Math.round(spot / spec.strikeStep);
  const out: string[] = [];
  for (let i = -STRIKES_EACH_SIDE; i <= STRIKES_EACH_SIDE; i++) {
    const strike = (atm + i) * spec.strikeStep;
    if (strike > 0) out.push(decimalText(strike, 8));
  }
  return out;
}

/** A parsed option symbol of a known underlying that has not expired, or undefined. */
export function liveOption(symbol: string, now: number): (OptionSymbol & { readonly spec: UnderlyingSpec }) | undefined {
  const parsed = parseOptionSymbol(symbol);
  if (parsed === undefined || parsed.expiry <= now || Number(parsed.strike) <= 0) return undefined;
  const spec = underlyingSpec(parsed.underlying);
  return spec === undefined ? undefined : { ...parsed, spec };
}

/** Rounds to a number of decimals, as a number. */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Rounds to a multiple of `step`, as a number without float noise. */
export function roundToStep(value: number, step: number, mode: 'floor' | 'ceil' | 'round' = 'round'): number {
  const n = Math[mode](value / step + (mode === 'round' ? 0 : mode === 'floor' ? 1e-9 : -1e-9));
  return roundTo(n * step, decimalsOf(step));
}

export function decimalsOf(step: number): number {
  const text = numberToPlainString(step);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** A float as an exact decimal string with at most `decimals` decimals. */
export function decimalText(value: number, decimals: number): string {
  return numberToPlainString(roundTo(value, decimals));
}
