/**
 * Coincall instrument symbols: option symbols (`BTCUSD-27MAY23-24000-P`),
 * futures/underlying symbols (`BTCUSD`), expiry codes and kline periods.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;

/** Options expire at 08:00 UTC on their expiry day. */
export const EXPIRY_HOUR_UTC = 8;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The first daily expiry (08:00 UTC) strictly after `now`. */
export function nextDailyExpiry(now: number): number {
  const today = Math.floor(now / DAY_MS) * DAY_MS + EXPIRY_HOUR_UTC * HOUR_MS;
  return today > now ? today : today + DAY_MS;
}

const UNDERLYING = /^[A-Z0-9]{2,15}USD$/;
const OPTION = /^([A-Z0-9]{2,15}USD)-([1-9]\d?)([A-Z]{3})(\d{2})-(\d+(?:\.\d+)?)-([CP])$/;

/** A zero-padded expiry day (`BTCUSD-07DEC26-…`), as many tools write it; Coincall writes `7DEC26`. */
const PADDED_DAY = /^([A-Z0-9]{2,15}USD)-0([1-9][A-Z]{3}\d{2}-)/;

/** The exchange's spelling of an option symbol a user wrote with a zero-padded day (`07DEC26` -> `7DEC26`); anything else unchanged. */
export function normalizeOptionSymbol(symbol: string): string {
  return symbol.replace(PADDED_DAY, '$1-$2');
}

export interface OptionSymbol {
  readonly symbol: string;
  readonly underlying: string;
  /** Expiry instant in ms (08:00 UTC). */
  readonly expiry: number;
  /** Strike as written in the symbol. */
  readonly strike: string;
  readonly type: 'CALL' | 'PUT';
}

export function isUnderlyingSymbol(text: string): boolean {
  return UNDERLYING.test(text);
}

/** Parses an option symbol; `undefined` when it is not one (including impossible dates). */
export function parseOptionSymbol(symbol: string): OptionSymbol | undefined {
  const m = OPTION.exec(symbol);
  if (m === null) return undefined;
  const [, underlying = '', day = '', mon = '', yy = '', strike = '', cp = ''] = m;
  const month = MONTHS.indexOf(mon as (typeof MONTHS)[number]);
  if (month < 0) return undefined;
  const year = 2000 + Number(yy);
  const expiry = Date.UTC(year, month, Number(day), EXPIRY_HOUR_UTC);
  if (new Date(expiry).getUTCDate() !== Number(day)) return undefined;
  return { symbol, underlying, expiry, strike, type: cp === 'C' ? 'CALL' : 'PUT' };
}

/** `27MAY23` for an expiry instant. */
export function expiryCode(expiry: number): string {
  const d = new Date(expiry);
  return `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, '0')}`;
}

export function optionSymbol(underlying: string, expiry: number, strike: string, type: 'CALL' | 'PUT'): string {
  return `${underlying}-${expiryCode(expiry)}-${strike}-${type === 'CALL' ? 'C' : 'P'}`;
}
