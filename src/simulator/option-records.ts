/**
 * What the simulator publishes of one live option, in the channel tables'
 * expanded form: its pricing record (mark, greeks, 24 h figures) and its
 * option-chain ticker (best bid and ask with their implied volatilities).
 * `market.ts` keeps the option's state and prices it; this file only turns
 * that state into records.
 */
import type { PricingRecord, TickerRecord } from '../channels/simulation.ts';
import type { OptionSymbol } from '../coincall/symbols.ts';
import type { Instrument } from './book.ts';
import { decimalText, type UnderlyingSpec } from './instrument-specs.ts';
import type { OptionQuote } from './black-scholes.ts';

const GREEK_DECIMALS = 8;
const MARK_DECIMALS = 8;

/** One live option: its book, its symbol parts, and its latest price and volatility. */
export interface OptionState {
  readonly book: Instrument;
  readonly option: OptionSymbol & { readonly spec: UnderlyingSpec };
  /** The strike's implied volatility (shared with the option of the other type). */
  vol: number;
  quote: OptionQuote;
  refreshedTick: number;
}

/** What a record needs of the rest of the market. */
export interface QuoteContext {
  readonly index: number;
  /** The underlying's futures mark. */
  readonly underlyingPrice: number;
  readonly now: number;
}

function round(value: number): number {
  return Number(value.toFixed(GREEK_DECIMALS));
}

const greeks = (quote: OptionQuote): { delta: number; gamma: number; vega: number; theta: number } => ({
  delta: round(quote.delta),
  gamma: round(quote.gamma),
  vega: round(quote.vega),
  theta: round(quote.theta),
});

export function pricingRecord(o: OptionState, at: QuoteContext): PricingRecord {
  const book = o.book;
  const open = book.open24 ?? o.quote.price;
  const last = book.last ?? o.quote.price;
  return {
    symbol: book.symbol,
    markPrice: decimalText(o.quote.price, MARK_DECIMALS),
    lastPrice: book.priceOrNull(book.last),
    indexPrice: decimalText(at.index, 8),
    underlyingPrice: decimalText(at.underlyingPrice, 8),
    high24h: book.priceOrNull(book.high),
    low24h: book.priceOrNull(book.low),
    impliedVolatility: round(o.vol),
    ...greeks(o.quote),
    changePrice: decimalText(last - open, MARK_DECIMALS),
    changeRate: open > 0 ? round((last - open) / open) : 0,
    openPrice24h: decimalText(open, MARK_DECIMALS),
    openInterest: decimalText(book.openInterest, 6),
    volume24h: decimalText(book.volume, 6),
    usdVolume24h: decimalText(book.usdVolume, 2),
    volume: decimalText(book.volume, 6),
    usdVolume: decimalText(book.usdVolume, 2),
    remainingTimeMs: o.option.expiry - at.now,
    timestamp: at.now,
  };
}

export function tickerRecord(o: OptionState, at: QuoteContext): TickerRecord {
  const { book, quote } = o;
  const bid = book.bestBid();
  const ask = book.bestAsk();
  const ivAt = (price: number | undefined): number | null => {
    if (price === undefined || quote.vega <= 0) return null;
    const iv = o.vol + (price - quote.price) / (quote.vega * 100);
    return iv > 0 ? round(iv) : null;
  };
  const open = book.open24 ?? quote.price;
  const last = book.last ?? quote.price;
  return {
    symbol: book.symbol,
    markPrice: decimalText(quote.price, MARK_DECIMALS),
    lastPrice: book.priceOrNull(book.last),
    bid: bid === undefined ? null : book.price(bid.price),
    ask: ask === undefined ? null : book.price(ask.price),
    bidSize: bid === undefined ? null : decimalText(bid.size, book.sizeDecimals),
    askSize: ask === undefined ? null : decimalText(ask.size, book.sizeDecimals),
    bidIv: ivAt(bid?.price),
    askIv: ivAt(ask?.price),
    markIv: round(o.vol),
    ...greeks(quote),
    changePrice: decimalText(last - open, MARK_DECIMALS),
    changeRate: open > 0 ? round((last - open) / open) : 0,
    openInterest: decimalText(book.openInterest, 6),
    volume24h: decimalText(book.volume, 6),
    volume: decimalText(book.volume, 6),
    underlyingPrice: decimalText(at.underlyingPrice, 8),
    underlyingPriceVariant: decimalText(at.index, 8),
    timestamp: at.now,
  };
}
