/**
 * Exact decimals, safe integers and timestamps (`src/lib/decimal.ts`): what
 * the exchange sends as numbers or strings, read without losing a digit and
 * refused when it is not what it claims.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  numberToPlainString,
  PLAIN_DECIMAL,
  toDecimal,
  toNumber,
  toSafeInteger,
  toTimestamp,
} from '../src/lib/decimal.ts';

describe('exact decimals', () => {
  it('keeps strings digit for digit, trimmed', () => {
    expect(toDecimal('486.8')).toBe('486.8');
    expect(toDecimal('26443.90 ')).toBe('26443.90');
    expect(toDecimal(' 0.686\t')).toBe('0.686');
    expect(toDecimal('-0.0008')).toBe('-0.0008');
    expect(toDecimal('100000000000.50153541')).toBe('100000000000.50153541');
    expect(toDecimal('0')).toBe('0');
  });

  it('renders JSON numbers in their shortest round-trip form, never with an exponent', () => {
    expect(toDecimal(26443.9)).toBe('26443.9');
    expect(toDecimal(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(toDecimal(1e-7)).toBe('0.0000001');
    expect(toDecimal(1e21)).toBe('1000000000000000000000');
    expect(toDecimal(-3178263)).toBe('-3178263');
  });

  it('null, undefined and empty strings are absent values', () => {
    expect(toDecimal(null)).toBeNull();
    expect(toDecimal(undefined)).toBeNull();
    expect(toDecimal('')).toBeNull();
    expect(toDecimal('   ')).toBeNull();
  });

  it('comes out in plain form: no bare leading or trailing point', () => {
    expect(toDecimal('5.')).toBe('5');
    expect(toDecimal('.5')).toBe('0.5');
    expect(toDecimal('-.5')).toBe('-0.5');
    expect(toDecimal('1.5e3')).toBe('1500');
    for (const wire of ['486.8', '5.', '.5', '-.25 ', '1e-7', '2.5E+3', 26443.9, 1e21, -3178263]) {
      expect(toDecimal(wire), String(wire)).toMatch(PLAIN_DECIMAL);
    }
  });

  it('a decimal must be finite: huge exponents and overlong digit runs are not decimals', () => {
    expect(toDecimal('1e400')).toBeUndefined();
    expect(toDecimal('-1e400')).toBeUndefined();
    expect(toDecimal('9'.repeat(400))).toBeUndefined();
    expect(toDecimal(Number.NEGATIVE_INFINITY)).toBeUndefined();
  });

  it('anything else is not a decimal (undefined)', () => {
    expect(toDecimal('abc')).toBeUndefined();
    expect(toDecimal('1,5')).toBeUndefined();
    expect(toDecimal('12abc')).toBeUndefined();
    expect(toDecimal(Number.NaN)).toBeUndefined();
    expect(toDecimal(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toDecimal(true)).toBeUndefined();
    expect(toDecimal({})).toBeUndefined();
  });

  it('numberToPlainString expands exponents', () => {
    expect(numberToPlainString(1e-7)).toBe('0.0000001');
    expect(numberToPlainString(1.5e-10)).toBe('0.00000000015');
    expect(numberToPlainString(-2.5e-8)).toBe('-0.000000025');
    expect(numberToPlainString(1e21)).toBe('1000000000000000000000');
    expect(numberToPlainString(1.2345e22)).toBe('12345000000000000000000');
    expect(numberToPlainString(123.45)).toBe('123.45');
  });

  it('toNumber reads numbers and numeric strings', () => {
    expect(toNumber('0.5 ')).toBe(0.5);
    expect(toNumber(-0.0021)).toBe(-0.0021);
    expect(toNumber('1.5e3')).toBe(1500);
    expect(toNumber(null)).toBeNull();
    expect(toNumber('')).toBeNull();
    expect(toNumber('abc')).toBeUndefined();
  });

  it('toNumber refuses what is not finite, sent as a string or as a number', () => {
    expect(toNumber('1e400')).toBeUndefined();
    expect(toNumber('-1e400')).toBeUndefined();
    expect(toNumber(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toNumber(Number.NaN)).toBeUndefined();
    expect(toNumber('Infinity')).toBeUndefined();
    expect(toNumber('NaN')).toBeUndefined();
  });
});

describe('integers and timestamps', () => {
  it('toSafeInteger takes integers up to 2^53 - 1, as numbers or strings', () => {
    expect(toSafeInteger(2)).toBe(2);
    expect(toSafeInteger(' 2 ')).toBe(2);
    expect(toSafeInteger(-7)).toBe(-7);
    expect(toSafeInteger(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeInteger(null)).toBeNull();
    expect(toSafeInteger('')).toBeNull();
  });

  it('toSafeInteger refuses fractions, unsafe integers and what is not finite', () => {
    expect(toSafeInteger(2.5)).toBeUndefined();
    expect(toSafeInteger(1e20)).toBeUndefined();
    expect(toSafeInteger('12345678901234567890')).toBeUndefined();
    expect(toSafeInteger('1e400')).toBeUndefined();
    expect(toSafeInteger('two')).toBeUndefined();
  });

  it('toTimestamp takes integer milliseconds from 2000 to 2200, as numbers or strings', () => {
    expect(toTimestamp(1685092534839)).toBe(1685092534839);
    expect(toTimestamp('1685092534839')).toBe(1685092534839);
    expect(toTimestamp(MIN_TIMESTAMP_MS)).toBe(Date.UTC(2000, 0, 1));
    expect(toTimestamp(MAX_TIMESTAMP_MS)).toBe(Date.UTC(2200, 0, 1));
    expect(toTimestamp(null)).toBeNull();
    expect(toTimestamp('')).toBeNull();
  });

  it.each([
    ['1e20', 1e20],
    ['"1e400"', '1e400'],
    ['seconds instead of milliseconds', 1685092534],
    ['microseconds instead of milliseconds', 1685092534839000],
    ['one millisecond before 2000', MIN_TIMESTAMP_MS - 1],
    ['one millisecond after 2200', MAX_TIMESTAMP_MS + 1],
    ['a fraction', 1685092534839.5],
    ['negative', -1685092534839],
    ['not a number', 'yesterday'],
  ])('toTimestamp refuses %s', (_why, wire) => {
    expect(toTimestamp(wire)).toBeUndefined();
  });
});
