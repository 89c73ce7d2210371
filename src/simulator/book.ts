/**
 * One simulated instrument's microstructure: a price-level book rebuilt around
 * a mid price, takers that walk it (producing trades), running 24 h stats and
 * candles. Shared by futures and options.
 */
import type { RecordOf } from '../channels/fields.ts';
import type { BookRecord } from '../channels/simulation.ts';
import type { TradeShape } from '../channels/shapes/trade.ts';
import { CandleSet } from './candles.ts';
import { decimalsOf, decimalText, roundToStep } from './instrument-specs.ts';
import { gaussian, intBetween, type Rng, uniform } from './random.ts';

/** Recent trades an instrument remembers for a new subscription's first frame (the exchange sends such a batch). */
export const SIMULATED_RECENT_TRADES = 20;

export type TradeRecord = Omit<RecordOf<typeof TradeShape>, 'id'>;
export type { BookRecord };

interface Level {
  price: number;
  size: number;
}

/** Largest level size, in minimum lots. */
const MAX_LEVEL_LOTS = 1_000;
const MIN_LEVEL_LOTS = 5;
/** Largest taker order, in minimum lots. */
const MAX_TAKER_LOTS = 400;
/** Gap between adjacent levels, in ticks. */
const MAX_LEVEL_GAP_TICKS = 3;
/** Decimals kept on volumes in USD. */
const USD_DECIMALS = 2;

export interface InstrumentConfig {
  readonly symbol: string;
  readonly tick: number;
  readonly sizeDecimals: number;
  readonly levels: number;
  readonly rng: Rng;
}

export class Instrument {
  readonly symbol: string;
  readonly tick: number;
  readonly priceDecimals: number;
  readonly sizeDecimals: number;
  readonly candles: CandleSet;
  private readonly levels: number;
  private readonly rng: Rng;
  private bids: Level[] = [];
  private asks: Level[] = [];
  last: number | null = null;
  open24: number | null = null;
  high: number | null = null;
  low: number | null = null;
  volume = 0;
  usdVolume = 0;
  openInterest: number;
  /** Trades of the current tick, newest first. */
  trades: TradeRecord[] = [];
  /** The latest trades across ticks, newest first (at most SIMULATED_RECENT_TRADES): a new subscription's first frame. */
  recent: TradeRecord[] = [];

  constructor(config: InstrumentConfig) {
    this.symbol = config.symbol;
    this.tick = config.tick;
    this.priceDecimals = decimalsOf(config.tick);
    this.sizeDecimals = config.sizeDecimals;
    this.levels = config.levels;
    this.rng = config.rng;
    this.candles = new CandleSet(config.symbol, this.priceDecimals + 2);
    this.openInterest = this.lots(intBetween(this.rng, 1_000, 100_000));
  }

  /** Starts a new tick: forgets last tick's trades and rebuilds the book around `mid`. */
  rebuild(mid: number, halfSpread: number): void {
    this.trades = [];
    const spread = Math.max(halfSpread, this.tick);
    this.bids = this.side(roundToStep(mid - spread, this.tick, 'floor'), -1);
    this.asks = this.side(roundToStep(mid + spread, this.tick, 'ceil'), 1);
    if (this.open24 === null) this.open24 = roundToStep(mid, this.tick);
  }

  /** A taker of a random size on `side` walks the book; each level it touches is one trade. */
  take(side: 'BUY' | 'SELL', at: number): void {
    let remaining = this.lots(intBetween(this.rng, 1, MAX_TAKER_LOTS));
    const book = side === 'BUY' ? this.asks : this.bids;
    while (remaining > 0 && book.length > 0) {
      const level = book[0] as Level;
      const size = Math.min(level.size, remaining);
      remaining = roundToStep(remaining - size, 10 ** -this.sizeDecimals);
      level.size = roundToStep(level.size - size, 10 ** -this.sizeDecimals);
      if (level.size <= 0) book.shift();
      this.recordTrade(level.price, size, side, at);
    }
  }

  /** A random taker with probability `probability`. */
  maybeTrade(probability: number, at: number): void {
    if (this.rng.next() < probability) this.take(this.rng.next() < 0.5 ? 'BUY' : 'SELL', at);
  }

  bookRecord(at: number): BookRecord {
    const level = (l: Level) => ({ price: decimalText(l.price, this.priceDecimals), volume: decimalText(l.size, this.sizeDecimals) });
    return { symbol: this.symbol, bids: this.bids.map(level), asks: this.asks.map(level), timestamp: at };
  }

  bestBid(): { price: number; size: number } | undefined {
    return this.bids[0];
  }

  bestAsk(): { price: number; size: number } | undefined {
    return this.asks[0];
  }

  price(value: number): string {
    return decimalText(value, this.priceDecimals);
  }

  /** Price text of a possibly absent value. */
  priceOrNull(value: number | null): string | null {
    return value === null ? null : this.price(value);
  }

  private recordTrade(price: number, size: number, side: 'BUY' | 'SELL', at: number): void {
    const trade: TradeRecord = {
      symbol: this.symbol,
      price: this.price(price),
      volume: decimalText(size, this.sizeDecimals),
      side,
      timestamp: at,
    };
    this.trades.unshift(trade);
    this.recent.unshift(trade);
    if (this.recent.length > SIMULATED_RECENT_TRADES) this.recent.length = SIMULATED_RECENT_TRADES;
    this.last = price;
    this.high = Math.max(this.high ?? price, price);
    this.low = Math.min(this.low ?? price, price);
    this.volume += size;
    this.usdVolume = Number(decimalText(this.usdVolume + size * price, USD_DECIMALS));
    this.openInterest = Math.max(0, this.openInterest + this.lots(Math.round(gaussian(this.rng) * 10)));
    this.candles.addTrade(price, size, at);
  }

  private side(best: number, direction: 1 | -1): Level[] {
    const out: Level[] = [];
    let price = best;
    for (let i = 0; i < this.levels && price > 0; i++) {
      out.push({ price, size: this.lots(intBetween(this.rng, MIN_LEVEL_LOTS, MAX_LEVEL_LOTS)) });
      price = roundToStep(price + direction * this.tick * intBetween(this.rng, 1, MAX_LEVEL_GAP_TICKS), this.tick);
    }
    return out;
  }

  private lots(count: number): number {
    return Number(decimalText(count * 10 ** -this.sizeDecimals, this.sizeDecimals));
  }

  /** A random value for spreads etc. */
  jitter(min: number, max: number): number {
    return uniform(this.rng, min, max);
  }
}
