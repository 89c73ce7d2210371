/**
 * Exact decimal strings for prices, sizes and balances.
 *
 * A value the exchange sends as a string is kept digit for digit (trimmed);
 * a JSON number is rendered in its shortest round-trip form, never in
 * exponent notation.
 */

const DECIMAL_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Returns the decimal string for a wire value, `null` for null/empty, `undefined` when it is not a number. */
export function toDecimal(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? numberToPlainString(value) : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (!DECIMAL_TEXT.test(text)) return undefined;
    return /[eE]/.test(text) ? numberToPlainString(Number(text)) : text;
  }
  return undefined;
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

/** A number from a wire value that may be a number or a numeric string; `null` for null/empty, `undefined` if not numeric. */
export function toNumber(value: unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (!DECIMAL_TEXT.test(text)) return undefined;
    return Number(text);
  }
  return undefined;
}
