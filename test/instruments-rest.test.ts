/**
 * Coincall's REST answers about instruments, parsed: the wrapper (its one
 * documented slip accepted, everything else refused with a clear message),
 * the config's perpetuals and option underlyings, and the option rows, which
 * must agree with their own symbols. A malformed row is skipped and counted;
 * the rows around it survive.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_REPORTED_PROBLEMS,
  parseConfig,
  parseOptionInstruments,
  RestAnswerError,
  unwrapAnswer,
  type OptionUnderlying,
} from '../src/coincall/rest.ts';
import { answer, configEntry, optionRow } from './helpers/rest-exchange.ts';

const BTC: OptionUnderlying = { symbol: 'BTCUSD', base: 'BTC' };
/** 21APR26 08:00 UTC, the expiry of the protocol document's sample row. */
const APR21 = 1776758400000;
/** The sample row of `GET /open/option/getInstruments/BTC`, as the protocol document quotes it. */
const DOC_ROW = {
  baseCurrency: 'BTC',
  startTimestamp: 1776414600036,
  expirationTimestamp: 1776758400000,
  strike: 67000,
  symbolName: 'BTCUSD-21APR26-67000-C',
  isActive: true,
  minQty: 0.01,
  tickSize: 1,
};

describe('the answer wrapper', () => {
  it('hands out the data of a success (code 0, also as a numeric string)', () => {
    expect(unwrapAnswer({ code: 0, msg: 'Success', i18nArgs: null, data: { serverTime: 1 } }, 'GET /time')).toEqual({ serverTime: 1 });
    expect(unwrapAnswer({ code: '0', msg: 'Success', data: [] }, 'x')).toEqual([]);
  });

  it('accepts the documented slip "code":1,"msg":"succ" when data is present', () => {
    expect(unwrapAnswer({ code: 1, msg: 'succ', data: { optionConfig: {} } }, 'config')).toEqual({ optionConfig: {} });
    expect(() => unwrapAnswer({ code: 1, msg: 'succ', data: null }, 'config')).toThrow(/config: the answer \(code 1\) carries no "data"/);
    expect(() => unwrapAnswer({ code: 1, msg: 'rate limited', data: {} }, 'config')).toThrow(/Coincall answered code 1 \(rate limited\)/);
  });

  it('refuses a failure code, naming the endpoint, the code and the message', () => {
    const run = () => unwrapAnswer(answer(null, { code: 10534, msg: 'system busy' }), '/open/public/config/v1');
    expect(run).toThrow(RestAnswerError);
    expect(run).toThrow('/open/public/config/v1: Coincall answered code 10534 (system busy)');
  });

  it.each([
    ['an array', []],
    ['a string', 'Success'],
    ['null', null],
  ])('refuses %s instead of a wrapper', (_name, body) => {
    expect(() => unwrapAnswer(body, 'config')).toThrow('config: the answer is not a JSON object');
  });

  it('refuses a wrapper without a numeric code, or a success without data', () => {
    expect(() => unwrapAnswer({ msg: 'Success', data: {} }, 'config')).toThrow('config: the answer has no numeric "code"');
    expect(() => unwrapAnswer({ code: 'zero', data: {} }, 'config')).toThrow('config: the answer has no numeric "code"');
    expect(() => unwrapAnswer({ code: 0, msg: 'Success' }, 'config')).toThrow('config: the answer (code 0) carries no "data"');
  });
});

describe('the config (GET /open/public/config/v1)', () => {
  it('lists perpetuals as futures instruments with exact tick sizes, numbers possibly sent as strings', () => {
    const parsed = parseConfig({
      optionConfig: { BTCUSD: configEntry('BTCUSD'), ETHUSD: configEntry('ETHUSD') },
      futuresConfig: {
        BTCUSD: configEntry('BTCUSD', { tickSize: '0.1', minQty: '0.001' }),
        DOGEUSD: configEntry('DOGEUSD', { tickSize: 1e-7, minQty: undefined }),
        SOLUSD: configEntry('SOLUSD', { tickSize: undefined, tickDecimal: '2' }),
      },
    });
    expect(parsed.skipped).toBe(0);
    expect(parsed.optionUnderlyings).toEqual([
      { symbol: 'BTCUSD', base: 'BTC' },
      { symbol: 'ETHUSD', base: 'ETH' },
    ]);
    expect(parsed.futures).toEqual([
      {
        id: 'FUTURES:BTCUSD',
        symbol: 'BTCUSD',
        market: 'FUTURES',
        underlying: 'BTCUSD',
        expiry: null,
        strike: null,
        type: null,
        tickSize: '0.1',
        minQuantity: '0.001',
        active: true,
      },
      {
        id: 'FUTURES:DOGEUSD',
        symbol: 'DOGEUSD',
        market: 'FUTURES',
        underlying: 'DOGEUSD',
        expiry: null,
        strike: null,
        type: null,
        tickSize: '0.0000001',
        minQuantity: null,
        active: true,
      },
      // No tickSize: the tick that tickDecimal implies.
      {
        id: 'FUTURES:SOLUSD',
        symbol: 'SOLUSD',
        market: 'FUTURES',
        underlying: 'SOLUSD',
        expiry: null,
        strike: null,
        type: null,
        tickSize: '0.01',
        minQuantity: '0.001',
        active: true,
      },
    ]);
  });

  it('skips and counts malformed entries, keeping the good ones', () => {
    const parsed = parseConfig({
      optionConfig: { BTCUSD: configEntry('BTCUSD'), ETHUSD: configEntry('ETHUSD', { base: '' }), 'not a symbol': configEntry('X') },
      futuresConfig: {
        BTCUSD: configEntry('BTCUSD'),
        ETHUSD: configEntry('ETHUSD', { tickSize: 'abc' }),
        SOLUSD: configEntry('SOLUSD', { tickSize: -1 }),
        XRPUSD: configEntry('XRPUSD', { minQty: 'lots' }),
        TONUSD: configEntry('TONUSD', { symbol: 'TRXUSD' }),
        ARBUSD: 'ARBUSD',
      },
    });
    expect(parsed.futures.map((i) => i.symbol)).toEqual(['BTCUSD']);
    expect(parsed.optionUnderlyings.map((u) => u.symbol)).toEqual(['BTCUSD']);
    expect(parsed.skipped).toBe(7);
    expect(parsed.problems).toHaveLength(MAX_REPORTED_PROBLEMS);
    expect(parsed.problems[0]).toBe('futuresConfig.ETHUSD: tickSize "abc" is not a positive number');
  });

  it('refuses a config whose sections are not objects keyed by symbol', () => {
    expect(() => parseConfig({ futuresConfig: {} })).toThrow('/open/public/config/v1: data.optionConfig is not an object keyed by symbol');
    expect(() => parseConfig({ optionConfig: {}, futuresConfig: [] })).toThrow(/data\.futuresConfig is not an object/);
    expect(() => parseConfig([])).toThrow('/open/public/config/v1: data is not an object');
  });
});

describe('the option list (GET /open/option/getInstruments/{base})', () => {
  it("reads the protocol document's sample row, taking underlying, expiry and type from the symbol", () => {
    expect(parseOptionInstruments([DOC_ROW], BTC)).toEqual({
      instruments: [
        {
          id: 'OPTIONS:BTCUSD-21APR26-67000-C',
          symbol: 'BTCUSD-21APR26-67000-C',
          market: 'OPTIONS',
          underlying: 'BTCUSD',
          expiry: APR21,
          strike: '67000',
          type: 'CALL',
          tickSize: '1',
          minQuantity: '0.01',
          active: true,
        },
      ],
      skipped: 0,
      problems: [],
    });
  });

  it('keeps decimal strikes exact and accepts numbers sent as strings', () => {
    const row = {
      ...optionRow({ underlying: 'DOGEUSD', expiry: Date.UTC(2024, 11, 13, 8), strike: '0.178', type: 'PUT' }),
      strike: '0.1780',
      tickSize: '0.0001',
      isActive: 'false',
    };
    const [doge] = parseOptionInstruments([row], { symbol: 'DOGEUSD', base: 'DOGE' }).instruments;
    expect(doge).toMatchObject({ symbol: 'DOGEUSD-13DEC24-0.178-P', strike: '0.178', type: 'PUT', tickSize: '0.0001', active: false });
  });

  it('skips rows that disagree with their symbol or are malformed, and counts them', () => {
    const good = optionRow({ underlying: 'BTCUSD', expiry: APR21, strike: '68000', type: 'PUT' });
    const rows: unknown[] = [
      DOC_ROW,
      { ...DOC_ROW, symbolName: 'BTCUSD-21APR26-69000-C', expirationTimestamp: APR21 + 3_600_000 },
      { ...DOC_ROW, symbolName: 'BTCUSD-21APR26-70000-C', strike: 71000 },
      { ...DOC_ROW, symbolName: 'ETHUSD-21APR26-3000-C', strike: 3000, baseCurrency: 'ETH' },
      { ...DOC_ROW, symbolName: 'BTCUSD-21APR26-72000-C', strike: 72000, baseCurrency: 'ETH' },
      { ...DOC_ROW, symbolName: 'BTCUSD-31APR26-73000-C', strike: 73000 },
      { ...DOC_ROW, symbolName: 'BTCUSD-21APR26-74000-C', strike: 74000, isActive: 'yes' },
      { ...DOC_ROW, symbolName: 'BTCUSD-21APR26-75000-C', strike: 75000, tickSize: 0 },
      DOC_ROW,
      'BTCUSD-21APR26-67000-P',
      good,
    ];
    const parsed = parseOptionInstruments(rows, BTC);
    expect(parsed.instruments.map((i) => i.symbol)).toEqual(['BTCUSD-21APR26-67000-C', 'BTCUSD-21APR26-68000-P']);
    expect(parsed.skipped).toBe(9);
    expect(parsed.problems).toEqual([
      '/open/option/getInstruments/BTC row 1: BTCUSD-21APR26-69000-C: expirationTimestamp 1776762000000 disagrees with the symbol',
      '/open/option/getInstruments/BTC row 2: BTCUSD-21APR26-70000-C: strike 71000 disagrees with the symbol',
      '/open/option/getInstruments/BTC row 3: ETHUSD-21APR26-3000-C is not an option on BTCUSD',
      '/open/option/getInstruments/BTC row 4: BTCUSD-21APR26-72000-C: baseCurrency "ETH" is not BTC',
      '/open/option/getInstruments/BTC row 5: BTCUSD-31APR26-73000-C is not an option symbol',
    ]);
  });

  it('refuses a list that is not a list', () => {
    expect(() => parseOptionInstruments({ rows: [] }, BTC)).toThrow('/open/option/getInstruments/BTC: data is not a list');
  });
});
