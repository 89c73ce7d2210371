/**
 * Coincall's public REST answers about instruments, pure: `unknown` in,
 * validated instruments out. No HTTP here; `sources/coincall/instrument-registry.ts` fetches.
 *
 * Every answer is wrapped: `{"code":0,"msg":"Success","data":...}`. A code
 * other than 0 is a failure, except the documented slip `"code":1,"msg":"succ"`
 * with data present. A wrapper that is not one is an error (`RestAnswerError`)
 * with a clear message; inside a good wrapper, a malformed row is skipped and
 * counted, never the whole list. Option rows must agree with their symbol
 * (`parseOptionSymbol`): underlying, expiry and strike are taken from the
 * symbol and cross-checked against the row's own fields.
 */
import { toDecimal, toSafeInteger, toTimestamp } from '../lib/decimal.ts';
import { isRecord } from '../lib/json.ts';
import { isUnderlyingSymbol, parseOptionSymbol } from './symbols.ts';

export const DEFAULT_REST_URL = 'https://api.coincall.com';
/** Perpetuals and option underlyings, keyed by symbol. */
export const CONFIG_PATH = '/open/public/config/v1';
/** Every listed option of one base currency (`BTC`). */
export const optionInstrumentsPath = (base: string): string => `/open/option/getInstruments/${encodeURIComponent(base)}`;

/** How many row problems a parse result describes (the rest are only counted). */
export const MAX_REPORTED_PROBLEMS = 5;
/** Most decimals a `tickDecimal` / `qtyDecimal` may claim. */
const MAX_DECIMALS = 18;
/** A base currency as the instruments endpoint names it (`BTC`, `1000PEPE`). */
const BASE = /^[A-Z0-9]{1,15}$/;
/** `msg` values that mean success in a wrapper whose code is the slip `1`. */
const SUCCESS_MSG = /^succ(ess)?$/i;
const SLIP_CODE = 1;

export type InstrumentMarket = 'OPTIONS' | 'FUTURES';

export interface Instrument {
  /** Stable identity: `OPTIONS:BTCUSD-27MAY23-24000-P`, `FUTURES:BTCUSD`. */
  readonly id: string;
  readonly symbol: string;
  readonly market: InstrumentMarket;
  /** The underlying (`BTCUSD`); a perpetual's own symbol. */
  readonly underlying: string;
  /** Option expiry in ms (08:00 UTC); null for futures. */
  readonly expiry: number | null;
  /** Option strike as written in its symbol (exact decimal); null for futures. */
  readonly strike: string | null;
  readonly type: 'CALL' | 'PUT' | null;
  readonly tickSize: string;
  readonly minQuantity: string | null;
  readonly active: boolean;
}

/** An option underlying of the config (`BTCUSD`) and the base its instruments are listed under (`BTC`). */
export interface OptionUnderlying {
  readonly symbol: string;
  readonly base: string;
}

/** Rows that were skipped, with the first few reasons. */
export interface Skipped {
  readonly skipped: number;
  readonly problems: readonly string[];
}

export interface ParsedConfig extends Skipped {
  readonly futures: readonly Instrument[];
  readonly optionUnderlyings: readonly OptionUnderlying[];
}

export interface ParsedInstruments extends Skipped {
  readonly instruments: readonly Instrument[];
}

/** The answer was not a usable wrapper (or its data not the expected container). */
export class RestAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestAnswerError';
  }
}

export const instrumentId = (market: InstrumentMarket, symbol: string): string => `${market}:${symbol}`;

/** The `data` of a successful answer; throws `RestAnswerError` naming `what` otherwise. */
export function unwrapAnswer(body: unknown, what: string): unknown {
  if (!isRecord(body)) throw new RestAnswerError(`${what}: the answer is not a JSON object`);
  const code = toSafeInteger(body['code']);
  const msg = typeof body['msg'] === 'string' ? body['msg'] : '';
  const data = body['data'];
  if (code === null || code === undefined) throw new RestAnswerError(`${what}: the answer has no numeric "code"`);
  const slip = code === SLIP_CODE && SUCCESS_MSG.test(msg.trim());
  if (code !== 0 && !slip) throw new RestAnswerError(`${what}: Coincall answered code ${code}${msg === '' ? '' : ` (${msg})`}`);
  if (data === undefined || data === null) throw new RestAnswerError(`${what}: the answer (code ${code}) carries no "data"`);
  return data;
}

/** Collects skipped rows: every one counted, the first few described. */
function skipper(): Skipped & { skip(where: string, why: string): void } {
  const problems: string[] = [];
  const out = {
    skipped: 0,
    problems,
    skip(where: string, why: string) {
      out.skipped++;
      if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(`${where}: ${why}`);
    },
  };
  return out;
}

/** A positive decimal, `undefined` otherwise. */
function positiveDecimal(value: unknown): string | undefined {
  const d = toDecimal(value);
  return typeof d === 'string' && Number(d) > 0 ? d : undefined;
}

/** A non-negative decimal, `null` when absent, `undefined` when present but not one. */
function optionalQuantity(value: unknown): string | null | undefined {
  const d = toDecimal(value);
  return typeof d === 'string' && Number(d) < 0 ? undefined : d;
}

/** A decimals count (0..MAX_DECIMALS), `null` when absent, `undefined` when present but not one. */
function decimalsCount(value: unknown): number | null | undefined {
  const n = toSafeInteger(value);
  return typeof n === 'number' && (n < 0 || n > MAX_DECIMALS) ? undefined : n;
}

/** `true`/`false`, also as text; `undefined` otherwise. */
function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

/** A decimal's digits without leading or trailing zeros that carry nothing ("067000.50" -> "67000.5"). */
function canonicalDecimal(text: string): string {
  const [intPart = '', fracPart = ''] = text.split('.');
  const int = intPart.replace(/^0+(?=\d)/, '');
  const frac = fracPart.replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

function futuresInstrument(symbol: string, entry: Record<string, unknown>): Instrument | string {
  if (entry['symbol'] !== undefined && entry['symbol'] !== symbol)
    return `its symbol ${JSON.stringify(entry['symbol'])} differs from its key`;
  const tickDecimal = decimalsCount(entry['tickDecimal']);
  if (tickDecimal === undefined) return `tickDecimal ${JSON.stringify(entry['tickDecimal'])} is not a count of decimals`;
  if (decimalsCount(entry['qtyDecimal']) === undefined)
    return `qtyDecimal ${JSON.stringify(entry['qtyDecimal'])} is not a count of decimals`;
  const tickText = toDecimal(entry['tickSize']);
  const implied = tickDecimal === null ? undefined : tickOf(tickDecimal);
  const tickSize = tickText === null ? implied : positiveDecimal(tickText);
  if (tickSize === undefined) return `tickSize ${JSON.stringify(entry['tickSize'])} is not a positive number`;
  const minQuantity = optionalQuantity(entry['minQty']);
  if (minQuantity === undefined) return `minQty ${JSON.stringify(entry['minQty'])} is not a quantity`;
  return {
    id: instrumentId('FUTURES', symbol),
    symbol,
    market: 'FUTURES',
    underlying: symbol,
    expiry: null,
    strike: null,
    type: null,
    tickSize,
    minQuantity,
    active: true,
  };
}

/** The tick a count of decimals implies: 2 -> "0.01", 0 -> "1". */
function tickOf(decimals: number): string {
  return decimals === 0 ? '1' : `0.${'0'.repeat(decimals - 1)}1`;
}

function optionUnderlying(symbol: string, entry: Record<string, unknown>): OptionUnderlying | string {
  if (entry['symbol'] !== undefined && entry['symbol'] !== symbol)
    return `its symbol ${JSON.stringify(entry['symbol'])} differs from its key`;
  const base = entry['base'];
  if (typeof base !== 'string' || !BASE.test(base)) return `base ${JSON.stringify(base)} is not a currency code`;
  return { symbol, base };
}

function configSection(data: Record<string, unknown>, key: string): Record<string, unknown> {
  const section = data[key];
  if (!isRecord(section)) throw new RestAnswerError(`${CONFIG_PATH}: data.${key} is not an object keyed by symbol`);
  return section;
}

/** The entries of one config section that `build` accepts; the others are skipped. */
function entries<T>(
  section: Record<string, unknown>,
  name: string,
  build: (symbol: string, entry: Record<string, unknown>) => T | string,
  skips: ReturnType<typeof skipper>,
): T[] {
  const out: T[] = [];
  for (const [symbol, entry] of Object.entries(section)) {
    const where = `${name}.${symbol}`;
    const result = !isUnderlyingSymbol(symbol)
      ? 'the key is not a symbol such as BTCUSD'
      : isRecord(entry)
        ? build(symbol, entry)
        : 'not an object';
    if (typeof result === 'string') skips.skip(where, result);
    else out.push(result);
  }
  return out;
}

/** The `data` of `GET /open/public/config/v1`: perpetuals as instruments, and the option underlyings. */
export function parseConfig(data: unknown): ParsedConfig {
  if (!isRecord(data)) throw new RestAnswerError(`${CONFIG_PATH}: data is not an object`);
  const options = configSection(data, 'optionConfig');
  const futuresSection = configSection(data, 'futuresConfig');
  const skips = skipper();
  const futures = entries(futuresSection, 'futuresConfig', futuresInstrument, skips);
  const optionUnderlyings = entries(options, 'optionConfig', optionUnderlying, skips);
  return { futures, optionUnderlyings, skipped: skips.skipped, problems: skips.problems };
}

function optionInstrument(row: Record<string, unknown>, underlying: OptionUnderlying): Instrument | string {
  const symbol = row['symbolName'];
  if (typeof symbol !== 'string') return 'symbolName is not a string';
  const parsed = parseOptionSymbol(symbol);
  if (parsed === undefined) return `${symbol} is not an option symbol`;
  if (parsed.underlying !== underlying.symbol) return `${symbol} is not an option on ${underlying.symbol}`;
  if (row['baseCurrency'] !== underlying.base)
    return `${symbol}: baseCurrency ${JSON.stringify(row['baseCurrency'])} is not ${underlying.base}`;
  const expiry = toTimestamp(row['expirationTimestamp']);
  if (expiry !== parsed.expiry)
    return `${symbol}: expirationTimestamp ${JSON.stringify(row['expirationTimestamp'])} disagrees with the symbol`;
  const strike = toDecimal(row['strike']);
  if (typeof strike !== 'string' || canonicalDecimal(strike) !== canonicalDecimal(parsed.strike))
    return `${symbol}: strike ${JSON.stringify(row['strike'])} disagrees with the symbol`;
  const tickSize = positiveDecimal(row['tickSize']);
  if (tickSize === undefined) return `${symbol}: tickSize ${JSON.stringify(row['tickSize'])} is not a positive number`;
  const minQuantity = optionalQuantity(row['minQty']);
  if (minQuantity === undefined) return `${symbol}: minQty ${JSON.stringify(row['minQty'])} is not a quantity`;
  const active = flag(row['isActive']);
  if (active === undefined) return `${symbol}: isActive ${JSON.stringify(row['isActive'])} is not a boolean`;
  return {
    id: instrumentId('OPTIONS', symbol),
    symbol,
    market: 'OPTIONS',
    underlying: parsed.underlying,
    expiry: parsed.expiry,
    strike: parsed.strike,
    type: parsed.type,
    tickSize,
    minQuantity,
    active,
  };
}

/** The `data` of `GET /open/option/getInstruments/{base}` for one option underlying. */
export function parseOptionInstruments(data: unknown, underlying: OptionUnderlying): ParsedInstruments {
  const path = optionInstrumentsPath(underlying.base);
  if (!Array.isArray(data)) throw new RestAnswerError(`${path}: data is not a list`);
  const skips = skipper();
  const instruments: Instrument[] = [];
  const seen = new Set<string>();
  data.forEach((row: unknown, index) => {
    const result = isRecord(row) ? optionInstrument(row, underlying) : 'not an object';
    if (typeof result === 'string') skips.skip(`${path} row ${index}`, result);
    else if (seen.has(result.symbol)) skips.skip(`${path} row ${index}`, `${result.symbol} is listed twice`);
    else {
      seen.add(result.symbol);
      instruments.push(result);
    }
  });
  return { instruments, skipped: skips.skipped, problems: skips.problems };
}
