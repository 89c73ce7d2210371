/**
 * Instrument symbols (`src/coincall/symbols.ts`): option symbols parsed and
 * written, expiry codes, underlying and futures symbols.
 */
import { describe, expect, it } from 'vitest';
import { expiryCode, isUnderlyingSymbol, optionSymbol, parseOptionSymbol } from '../src/coincall/symbols.ts';

describe('symbols', () => {
  it('parses option symbols; expiry is 08:00 UTC of the expiry day', () => {
    expect(parseOptionSymbol('BTCUSD-27MAY23-24000-P')).toEqual({
      symbol: 'BTCUSD-27MAY23-24000-P',
      underlying: 'BTCUSD',
      expiry: 1685174400000,
      strike: '24000',
      type: 'PUT',
    });
    expect(parseOptionSymbol('BTCUSD-4JUL23-27000-C')).toEqual({
      symbol: 'BTCUSD-4JUL23-27000-C',
      underlying: 'BTCUSD',
      expiry: 1688457600000,
      strike: '27000',
      type: 'CALL',
    });
    expect(parseOptionSymbol('DOGEUSD-13DEC24-0.178-P')).toEqual({
      symbol: 'DOGEUSD-13DEC24-0.178-P',
      underlying: 'DOGEUSD',
      expiry: 1734076800000,
      strike: '0.178',
      type: 'PUT',
    });
    expect(parseOptionSymbol('BTCUSD-29FEB24-60000-C')?.expiry).toBe(1709193600000);
  });

  it.each([
    ['leading zero on the day', 'BTCUSD-04JUL23-27000-C'],
    ['unknown month', 'BTCUSD-27MAI23-24000-P'],
    ['lower-case month', 'BTCUSD-27may23-24000-P'],
    ['impossible date', 'BTCUSD-31FEB24-100-C'],
    ['29 February of a non-leap year', 'BTCUSD-29FEB23-100-C'],
    ['day zero', 'BTCUSD-0MAY23-24000-P'],
    ['no type', 'BTCUSD-27MAY23-24000'],
    ['unknown type', 'BTCUSD-27MAY23-24000-X'],
    ['empty strike', 'BTCUSD-27MAY23--P'],
    ['an underlying', 'BTCUSD'],
    ['lower case', 'btcusd-27MAY23-24000-P'],
  ])('rejects %s: %s', (_why, symbol) => {
    expect(parseOptionSymbol(symbol)).toBeUndefined();
  });

  it('expiryCode writes the day without a leading zero', () => {
    expect(expiryCode(1685174400000)).toBe('27MAY23');
    expect(expiryCode(1688457600000)).toBe('4JUL23');
    expect(expiryCode(1734076800000)).toBe('13DEC24');
  });

  it.each(['BTCUSD-27MAY23-24000-P', 'BTCUSD-4JUL23-27000-C', 'DOGEUSD-13DEC24-0.178-P', 'ETHUSD-30JUN23-1800-C'])(
    'round-trips %s through parse and optionSymbol',
    (symbol) => {
      const parsed = parseOptionSymbol(symbol);
      expect(parsed).toBeDefined();
      if (parsed === undefined) return;
      expect(
        parseOptionSymbol(`${parsed.underlying}-${expiryCode(parsed.expiry)}-${parsed.strike}-${parsed.type === 'CALL' ? 'C' : 'P'}`),
      ).toEqual(parsed);
      expect(optionSymbol(parsed.underlying, parsed.expiry, parsed.strike, parsed.type)).toBe(symbol);
    },
  );

  it('recognises underlying/futures symbols', () => {
    for (const symbol of ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'TRXUSD', 'TONUSD', 'ARBUSD', 'DOGEUSD']) {
      expect(isUnderlyingSymbol(symbol), symbol).toBe(true);
    }
    for (const symbol of ['btcusd', 'BTC', 'BTCUSDT', 'BTCUSD-27MAY23-24000-P', ' BTCUSD', '']) {
      expect(isUnderlyingSymbol(symbol), symbol).toBe(false);
    }
  });
});
