/**
 * Lossless JSON (`src/lib/json.ts`): integers beyond 2^53 keep every digit
 * (as strings); everything else parses as `JSON.parse` would.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../src/lib/json.ts';

describe('parseJsonLossless', () => {
  it('keeps every digit of integers beyond 2^53, as strings', () => {
    expect(parseJsonLossless('{"oid":1663004711982333952}')).toEqual({ oid: '1663004711982333952' });
    expect(parseJsonLossless('{"oid":1663004711982333953}')).toEqual({ oid: '1663004711982333953' });
    expect(parseJsonLossless('1663004711982333952')).toBe('1663004711982333952');
    expect(parseJsonLossless('{"n":9007199254740992}')).toEqual({ n: '9007199254740992' });
    expect(parseJsonLossless('{"n":9007199254740993}')).toEqual({ n: '9007199254740993' });
  });

  it('negative ids and ids inside arrays and nested objects', () => {
    expect(parseJsonLossless('{"a":[1663004711982333952,-9223372036854775808,7],"b":{"c":[{"oid":-1663004711982333953}]}}')).toEqual({
      a: ['1663004711982333952', '-9223372036854775808', 7],
      b: { c: [{ oid: '-1663004711982333953' }] },
    });
  });

  it('is not confused by digits or escaped quotes inside strings', () => {
    expect(parseJsonLossless('{"s":"1663004711982333952","n":1663004711982333952}')).toEqual({
      s: '1663004711982333952',
      n: '1663004711982333952',
    });
    expect(parseJsonLossless('{"s":"a\\"1663004711982333952\\"b","n":1}')).toEqual({ s: 'a"1663004711982333952"b', n: 1 });
    expect(parseJsonLossless('{"s":"ends in a backslash \\\\","n":1663004711982333952}')).toEqual({
      s: 'ends in a backslash \\',
      n: '1663004711982333952',
    });
    expect(parseJsonLossless('{"k\\"1663004711982333952":1663004711982333952}')).toEqual({
      'k"1663004711982333952': '1663004711982333952',
    });
  });

  it('leaves safe integers and ordinary numbers as numbers', () => {
    expect(parseJsonLossless('{"ts":1685092534839,"max":9007199254740991,"neg":-9007199254740991,"pr":26443.9,"z":0}')).toEqual({
      ts: 1685092534839,
      max: 9007199254740991,
      neg: -9007199254740991,
      pr: 26443.9,
      z: 0,
    });
    expect(parseJsonLossless('{"oid":1663004711982333952,"ts":1685092534839}')).toEqual({ oid: '1663004711982333952', ts: 1685092534839 });
  });

  it('leaves decimals with many digits untouched (they are not integers)', () => {
    const parsed = parseJsonLossless(
      '{"ab":99999999902.0327645,"x":0.12345678901234567890,"e":1.5e300,"oid":1663004711982333952}',
    ) as Record<string, unknown>;
    // The nearest doubles, as JSON.parse reads them (written as text: a literal with more digits than a double holds is a lint error).
    expect(parsed['ab']).toBe(Number('99999999902.0327645'));
    expect(parsed['x']).toBe(Number('0.12345678901234567890'));
    expect(parsed['e']).toBe(1.5e300);
    expect(parsed['oid']).toBe('1663004711982333952');
  });

  it('still throws on text that is not JSON', () => {
    expect(() => parseJsonLossless('{"oid":1663004711982333952')).toThrow();
  });
});
