/**
 * Candles built from trades, for every kline period at once. A candle's time
 * is its open time; weeks open on Monday 00:00 UTC, months and quarters on the
 * first day 00:00 UTC.
 */
import { KlinePeriod } from '../channels/enums.ts';
import type { KlineRecord } from '../channels/simulation.ts';
import { DAY_MS } from '../coincall/symbols.ts';
import { decimalText } from './instrument-specs.ts';

export type PeriodName = keyof typeof KlinePeriod.values;
export const PERIOD_NAMES = Object.keys(KlinePeriod.values) as PeriodName[];

const MINUTE_MS = 60_000;
const FIXED_MS: Partial<Record<PeriodName, number>> = {
  M1: MINUTE_MS,
  M5: 5 * MINUTE_MS,
  M15: 15 * MINUTE_MS,
  M30: 30 * MINUTE_MS,
  H1: 60 * MINUTE_MS,
  H4: 240 * MINUTE_MS,
  D1: DAY_MS,
};
/** 1970-01-01 was a Thursday: days since the epoch plus this, mod 7, is days since Monday. */
const EPOCH_WEEKDAY_FROM_MONDAY = 3;
const MONTHS_PER_QUARTER = 3;

/** Open time of the candle of `period` that contains `t`. */
export function periodStart(period: PeriodName, t: number): number {
  const fixed = FIXED_MS[period];
  if (fixed !== undefined) return Math.floor(t / fixed) * fixed;
  if (period === 'W1') {
    const day = Math.floor(t / DAY_MS);
    return (day - ((day + EPOCH_WEEKDAY_FROM_MONDAY) % 7)) * DAY_MS;
  }
  const d = new Date(t);
  const month = d.getUTCMonth();
  return Date.UTC(d.getUTCFullYear(), period === 'QUARTER' ? month - (month % MONTHS_PER_QUARTER) : month, 1);
}

interface Candle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** The open candles of one symbol, one per period. */
export class CandleSet {
  private readonly candles = new Map<PeriodName, Candle>();
  private readonly symbol: string;
  private readonly priceDecimals: number;

  constructor(symbol: string, priceDecimals: number) {
    this.symbol = symbol;
    this.priceDecimals = priceDecimals;
  }

  /** Folds a trade into every period's candle, opening new candles as periods roll. */
  addTrade(price: number, size: number, at: number): void {
    for (const period of PERIOD_NAMES) {
      const candle = this.current(period, at, price);
      candle.high = Math.max(candle.high, price);
      candle.low = Math.min(candle.low, price);
      candle.close = price;
      candle.volume += size;
    }
  }

  /** The open candle of a period at `at`; a flat candle at `price` when nothing traded in it yet. */
  record(period: PeriodName, at: number, price: number): KlineRecord {
    const c = this.current(period, at, price);
    const text = (n: number) => decimalText(n, this.priceDecimals);
    return {
      symbol: this.symbol,
      period,
      open: text(c.open),
      high: text(c.high),
      low: text(c.low),
      close: text(c.close),
      volume: decimalText(c.volume, 6),
      timestamp: c.openTime,
    };
  }

  private current(period: PeriodName, at: number, price: number): Candle {
    const openTime = periodStart(period, at);
    const existing = this.candles.get(period);
    if (existing !== undefined && existing.openTime === openTime) return existing;
    const open = existing?.close ?? price;
    const candle = { openTime, open, high: open, low: open, close: open, volume: 0 };
    this.candles.set(period, candle);
    return candle;
  }
}
