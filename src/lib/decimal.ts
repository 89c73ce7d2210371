/**
 * Numbers from the wire: exact decimal strings for prices, sizes and
 * balances, finite floats, safe integers and epoch-millisecond timestamps.
 *
 * A value the exchange sends as a string is kept digit for digit (trimmed);
 * a JSON number is rendered in its shortest round-trip form, never in
 * exponent notation. Every reader returns `null` for an absent value (null,
 * undefined, empty string) and `undefined` for a value that is present but
 * not acceptable: not numeric, not finite, out of range. Callers turn
 * `undefined` into a dropped frame, so nothing unserializable gets further.
 */

/** What the wire may send as a number: digits, an optional point, an optional exponent. */
const DECIMAL_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** The form every decimal leaves this module in (and the form the `Decimal` scalar accepts). */
export const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * The instants a wire timestamp may name: from 2000-01-01 to 2200-01-01 UTC,
 * in milliseconds. Anything outside is a unit mistake (seconds, microseconds)
 * or garbage, and could not be rendered as a `DateTime`.
 */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2200, 0, 1);

/** Trimmed numeric text, `null` when empty, `undefined` when it is not a number or not finite. */
function numericText(text: string): string | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!DECIMAL_TEXT.test(trimmed) || !Number.isFinite(Number(trimmed))) return undefined;
  return trimmed;
}

/** Returns the decimal string for a wire value, `null` for null/empty, `undefined` when it is not a finite number. */
export function toDecimal(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? numberToPlainString(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = numericText(value);
  if (text === null || text === undefined) return text;
  if (/[eE]/.test(text)) return numberToPlainString(Number(text));
  return plainForm(text);
}

/** "5." -> "5", ".5" -> "0.5", "-.5" -> "-0.5"; every other digit kept as sent. */
function plainForm(text: string): string {
  const negative = text.startsWith('-');
  let digits = negative ? text.slice(1) : text;
  if (digits.endsWith('.')) digits = digits.slice(0, -1);
  if (digits.startsWith('.')) digits = `0${digits}`;
  return negative ? `-${digits}` : digits;
}

/** `String(n)` without exponent notation: 1e-7 -> "0.0000001", 1e21 -> "1000000000000000000000". */
export function numberToPlainString(n: number): string {
  const text = String(n);
  if (!/[eE]/.test(text)) return text;
  const [mantissa = '0', exponentText = '0'] = text.split(/[eE]/);
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const [intPart = '0', fracPart = ''] = mantissa.replace('-', '').split('.');
  const digits = intPart + fracPart;
  const point = intPart.length + exponent;
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}

/** A finite number from a wire value that may be a number or a numeric string; `null` for null/empty, `undefined` otherwise. */
export function toNumber(value: unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = numericText(value);
  return text === null || text === undefined ? text : Number(text);
}

/** A safe integer (|n| <= 2^53 - 1) from a number or numeric string; `null` for null/empty, `undefined` otherwise. */
export function toSafeInteger(value: unknown): number | null | undefined {
  const n = toNumber(value);
  if (n === null || n === undefined) return n;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Epoch milliseconds: an integer from MIN_TIMESTAMP_MS to MAX_TIMESTAMP_MS; `null` for null/empty, `undefined` otherwise. */
export function toTimestamp(value: unknown): number | null | undefined {
  const n = toSafeInteger(value);
  if (n === null || n === undefined) return n;
  return n >= MIN_TIMESTAMP_MS && n <= MAX_TIMESTAMP_MS ? n : undefined;
}

/** A decimal as an integer count of 10^-scale units: exact arithmetic without floats. */
interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

/** Parses a plain decimal string (PLAIN_DECIMAL); throws on anything else (callers pass decoded values). */
function scaled(text: string): Scaled {
  if (!PLAIN_DECIMAL.test(text)) throw new Error(`not a plain decimal: ${text}`);
  const [int = '0', frac = ''] = text.split('.');
  return { units: BigInt(int + frac), scale: frac.length };
}

function rescale(value: Scaled, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

/** Renders units at a scale as a plain decimal, without trailing fractional zeros. */
function render(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  let int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  if (int === '') int = '0';
  const text = frac === '' ? int : `${int}.${frac}`;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

/** The exact sum of two plain decimal strings. */
export function addDecimals(a: string, b: string): string {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return render(rescale(x, scale) + rescale(y, scale), scale);
}

/** Whether a plain decimal string is greater than zero. */
export function isPositiveDecimal(text: string): boolean {
  return PLAIN_DECIMAL.test(text) && scaled(text).units > 0n;
}

/**
 * `value` rounded to a multiple of `step` (> 0), exactly: `down` toward
 * minus infinity, `up` toward plus infinity. The price bucket of an order
 * book level: bids round down, asks round up.
 */
export function roundToStep(value: string, step: string, direction: 'down' | 'up'): string {
  const x = scaled(value);
  const s = scaled(step);
  if (s.units <= 0n) throw new Error(`step must be positive: ${step}`);
  const scale = Math.max(x.scale, s.scale);
  const v = rescale(x, scale);
  const unit = rescale(s, scale);
  let buckets = v / unit;
  const exact = buckets * unit === v;
  if (!exact && direction === 'down' && v < 0n) buckets -= 1n;
  if (!exact && direction === 'up' && v > 0n) buckets += 1n;
  return render(buckets * unit, scale);
}
