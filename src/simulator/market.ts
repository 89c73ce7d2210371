/**
 * The simulated market, deterministic for a seed: index prices (random walk),
 * perpetual futures (books around the mark, trades, candles) and options on
 * the listed expiries and any live option symbol asked for, priced with
 * Black-Scholes on a volatility smile; a strike's call and put share one
 * implied volatility, so put-call parity holds. It produces records in the
 * channel tables' expanded form.
 */
import type { IndexRecord, KlineRecord, PricingRecord, SimulatedMarket, TickerRecord } from '../channels/simulation.ts';
import { optionSymbol, type OptionSymbol } from '../coincall/symbols.ts';
import { Instrument, type BookRecord, type TradeRecord } from './book.ts';
import type { PeriodName } from './candles.ts';
import { decimalText, liveOption, strikeGrid, UNDERLYINGS, underlyingSpec, type UnderlyingSpec } from './instrument-specs.ts';
import { pricingRecord, tickerRecord, type OptionState, type QuoteContext } from './option-records.ts';
import { blackScholes, smileVol, YEAR_MS, type OptionQuote } from './black-scholes.ts';
import { createRng, gaussian, hashSeed, type Rng } from './random.ts';

export type { BookRecord, IndexRecord, KlineRecord, PricingRecord, TickerRecord, TradeRecord };

/**
 * Each index moves as geometric Brownian motion at its underlying's annualised
 * volatility (`baseVol`, the at-the-money implied volatility: BTC 55 %/year,
 * about ±0.08 % a minute, one standard deviation), scaled by the time a tick
 * covers, so the tick period changes the update rate, not the volatility.
 */
const volOver = (annualVol: number, ms: number) => annualVol * Math.sqrt(Math.max(0, ms) / YEAR_MS);
/** Futures basis: mean reversion per tick and noise. */
const BASIS_REVERSION = 0.9;
const BASIS_NOISE = 0.0001;
const FUTURES_LEVELS = 20;
const OPTION_LEVELS = 10;
const FUTURES_TRADE_PROBABILITY = 0.6;
const OPTION_TRADE_PROBABILITY = 0.3;
/** Option half spread as a fraction of the mark. */
const OPTION_HALF_SPREAD = 0.015;
/**
 * Per-tick random walk of each strike's IV offset from the smile, and its
 * bound. The offset belongs to the strike, so its call and put share one
 * implied volatility and put-call parity holds.
 */
const IV_NOISE_PER_MINUTE = 0.003;
const IV_SHIFT_LIMIT = 0.05;
const MINUTE_MS = 60_000;

interface IndexState {
  readonly spec: UnderlyingSpec;
  price: number;
  readonly open: number;
  high: number;
  low: number;
}

interface StrikeShift {
  readonly rng: Rng;
  value: number;
  walkedTick: number;
}

interface FutureState {
  readonly book: Instrument;
  basis: number;
  mark: number;
}

export class Market implements SimulatedMarket {
  private readonly seed: number;
  private readonly rng: Rng;
  private readonly indexes = new Map<string, IndexState>();
  private readonly futures = new Map<string, FutureState>();
  private readonly options = new Map<string, OptionState>();
  /** IV offsets by strike (`underlying|expiry|strike`), shared by its call and put. */
  private readonly strikeShifts = new Map<string, StrikeShift>();
  /** The listed strikes of an underlying and expiry (the simulator's listing). */
  private readonly listedStrikes: (underlying: string, expiry: number) => readonly string[];
  private tickCount = 0;
  private now: number;
  /** How long the last tick covered (ms). */
  private tickMs = 0;

  /**
   * `listedStrikes`: the strikes listed per underlying and expiry (the server
   * passes its listing's); by default a grid around the index, fixed per expiry
   * at its first request.
   */
  constructor(seed: number, now: number, listedStrikes?: (underlying: string, expiry: number) => readonly string[]) {
    this.seed = seed;
    this.now = now;
    const fixed = new Map<string, readonly string[]>();
    this.listedStrikes =
      listedStrikes ??
      ((underlying, expiry) => {
        const spec = underlyingSpec(underlying);
        const key = `${underlying}|${expiry}`;
        if (spec !== undefined && !fixed.has(key)) fixed.set(key, strikeGrid(spec, this.indexOf(underlying)));
        return fixed.get(key) ?? [];
      });
    this.rng = createRng(hashSeed(seed, 'market'));
    for (const spec of UNDERLYINGS) {
      const price = spec.startPrice * (1 + 0.02 * gaussian(this.rng));
      this.indexes.set(spec.symbol, { spec, price, open: price, high: price, low: price });
      const book = new Instrument({
        symbol: spec.symbol,
        tick: spec.tick,
        sizeDecimals: spec.sizeDecimals,
        levels: FUTURES_LEVELS,
        rng: createRng(hashSeed(seed, spec.symbol)),
      });
      this.futures.set(spec.symbol, { book, basis: 0, mark: price });
    }
    this.step(now, []);
  }

  /** Advances one tick: moves indexes, rebuilds books, trades futures and the `activeOptions`. */
  step(now: number, activeOptions: Iterable<string>): void {
    this.tickMs = Math.max(0, now - this.now);
    this.now = now;
    this.tickCount++;
    for (const index of this.indexes.values()) {
      index.price *= Math.exp(volOver(index.spec.baseVol, this.tickMs) * gaussian(this.rng));
      index.high = Math.max(index.high, index.price);
      index.low = Math.min(index.low, index.price);
    }
    for (const [symbol, future] of this.futures) {
      const index = this.indexOf(symbol);
      future.basis = future.basis * BASIS_REVERSION + BASIS_NOISE * gaussian(this.rng);
      future.mark = index * (1 + future.basis);
      future.book.rebuild(future.mark, future.book.tick * Math.ceil(future.book.jitter(0, 2)));
      future.book.maybeTrade(FUTURES_TRADE_PROBABILITY, now);
    }
    for (const symbol of activeOptions) {
      const option = this.option(symbol);
      option?.book.maybeTrade(OPTION_TRADE_PROBABILITY, now);
    }
  }

  isUnderlying(symbol: string): boolean {
    return this.indexes.has(symbol);
  }

  indexOf(symbol: string): number {
    return this.indexes.get(symbol)?.price ?? Number.NaN;
  }

  futuresMark(symbol: string): number {
    return this.futures.get(symbol)?.mark ?? Number.NaN;
  }

  futuresLast(symbol: string): number {
    const future = this.futures.get(symbol);
    return future?.book.last ?? future?.mark ?? Number.NaN;
  }

  /** The spotPrice record: futures carry mark, last and ticker stats; the options market only the index. */
  indexRecord(symbol: string, market: 'options' | 'futures'): IndexRecord | undefined {
    const index = this.indexes.get(symbol);
    if (index === undefined) return undefined;
    const text = (n: number) => decimalText(n, 8);
    const future = market === 'futures' ? this.futures.get(symbol) : undefined;
    const book = future?.book;
    const price = book?.last ?? index.price;
    const open = book?.open24 ?? index.open;
    return {
      symbol,
      price: text(price),
      markPrice: future === undefined ? null : text(future.mark),
      lastPrice: book === undefined ? null : book.priceOrNull(book.last),
      indexPrice: text(index.price),
      high24h: text(book?.high ?? index.high),
      low24h: text(book?.low ?? index.low),
      changePrice: text(price - open),
      changeRate: Number(((price - open) / open).toFixed(6)),
      openPrice24h: text(open),
      changeVolume:
        book === undefined
          ? null
          : decimalText(
              book.trades.reduce((sum, t) => sum + Number(t.volume), 0),
              6,
            ),
      volume24h: book === undefined ? null : decimalText(book.volume, 6),
      usdVolume24h: book === undefined ? null : decimalText(book.usdVolume, 2),
      openInterest: book === undefined ? null : decimalText(book.openInterest, 6),
      timestamp: this.now,
    };
  }

  /** The instrument behind a futures or live option symbol. */
  instrument(symbol: string): Instrument | undefined {
    return this.futures.get(symbol)?.book ?? this.option(symbol)?.book;
  }

  bookRecord(symbol: string): BookRecord | undefined {
    return this.instrument(symbol)?.bookRecord(this.now);
  }

  /** This tick's trades of a symbol, newest first. */
  tradesOf(symbol: string): readonly TradeRecord[] {
    return this.instrument(symbol)?.trades ?? [];
  }

  /** The latest trades of a symbol across ticks, newest first. */
  recentTradesOf(symbol: string): readonly TradeRecord[] {
    return this.instrument(symbol)?.recent ?? [];
  }

  klineRecord(symbol: string, period: PeriodName): KlineRecord | undefined {
    const future = this.futures.get(symbol);
    if (future !== undefined) return future.book.candles.record(period, this.now, future.book.last ?? future.mark);
    const option = this.option(symbol);
    return option?.book.candles.record(period, this.now, option.book.last ?? option.quote.price);
  }

  /** Mark, volatility and greeks of a live option (priced on demand). */
  optionQuote(symbol: string): { readonly quote: OptionQuote; readonly vol: number } | undefined {
    return this.option(symbol);
  }

  pricingRecord(symbol: string): PricingRecord | undefined {
    const o = this.option(symbol);
    return o === undefined ? undefined : pricingRecord(o, this.quoteContext(o));
  }

  /** Every listed call and put of one underlying and expiry. */
  chainRecords(underlying: string, expiry: number): TickerRecord[] {
    const spec = underlyingSpec(underlying);
    if (spec === undefined || expiry <= this.now) return [];
    const strikes = this.listedStrikes(underlying, expiry);
    const out: TickerRecord[] = [];
    for (const strike of strikes)
      for (const type of ['CALL', 'PUT'] as const) {
        const o = this.option(optionSymbol(underlying, expiry, strike, type));
        if (o !== undefined) out.push(tickerRecord(o, this.quoteContext(o)));
      }
    return out;
  }

  /** What an option's records need of the rest of the market. */
  private quoteContext(o: OptionState): QuoteContext {
    return { index: this.indexOf(o.option.underlying), underlyingPrice: this.futuresMark(o.option.underlying), now: this.now };
  }

  /** The state of a live option, created on first use and repriced once per tick. */
  private option(symbol: string): OptionState | undefined {
    let state = this.options.get(symbol);
    if (state === undefined) {
      const option = liveOption(symbol, this.now);
      if (option === undefined) return undefined;
      const rng = createRng(hashSeed(this.seed, symbol));
      const book = new Instrument({
        symbol,
        tick: option.spec.optionTick,
        sizeDecimals: Math.max(0, option.spec.sizeDecimals - 1),
        levels: OPTION_LEVELS,
        rng,
      });
      const quote = blackScholes(option.type, 1, 1, 0, 0);
      state = { book, option, vol: option.spec.baseVol, quote, refreshedTick: -1 };
      this.options.set(symbol, state);
    } else if (state.option.expiry <= this.now) {
      this.options.delete(symbol);
      this.strikeShifts.delete(strikeKey(state.option));
      return undefined;
    }
    if (state.refreshedTick !== this.tickCount) this.reprice(state);
    return state;
  }

  /** The strike's IV offset, walked at most once per tick whichever of its options asks first. */
  private strikeShift(option: OptionSymbol): number {
    const key = strikeKey(option);
    let shift = this.strikeShifts.get(key);
    if (shift === undefined) {
      const rng = createRng(hashSeed(this.seed, `iv:${key}`));
      shift = { rng, value: IV_NOISE_PER_MINUTE * gaussian(rng), walkedTick: this.tickCount };
      this.strikeShifts.set(key, shift);
    } else if (shift.walkedTick !== this.tickCount) {
      shift.value = Math.max(
        -IV_SHIFT_LIMIT,
        Math.min(IV_SHIFT_LIMIT, shift.value + IV_NOISE_PER_MINUTE * Math.sqrt(this.tickMs / MINUTE_MS) * gaussian(shift.rng)),
      );
      shift.walkedTick = this.tickCount;
    }
    return shift.value;
  }

  private reprice(state: OptionState): void {
    const { option, book } = state;
    const spot = this.futuresMark(option.underlying);
    const strike = Number(option.strike);
    const years = (option.expiry - this.now) / YEAR_MS;
    state.vol = smileVol(option.spec.baseVol, spot, strike, years) + this.strikeShift(option);
    state.quote = blackScholes(option.type, spot, strike, years, state.vol);
    book.rebuild(state.quote.price, Math.max(book.tick, state.quote.price * OPTION_HALF_SPREAD));
    state.refreshedTick = this.tickCount;
  }
}

const strikeKey = (option: OptionSymbol): string => `${option.underlying}|${option.expiry}|${option.strike}`;
