/**
 * Subscription arguments are checked before anything goes upstream: a bad
 * value fails with BAD_USER_INPUT and a message that says what is wrong and
 * what is expected; a good value gives the upstream topic (routing key and
 * subscribe payload).
 */
import { parse as parseDocument, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { PlainArgKind } from '../src/channels/args.ts';
import { KlinePeriod, OptionType, TradeSide } from '../src/channels/enums.ts';
import { CHANNEL_IDS, CHANNELS, type ChannelId } from '../src/channels/registry.ts';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { argType } from './helpers/arg-types.ts';

/** 2023-05-25T12:00:00Z: the 26MAY23 and 27MAY23 expiries are live, 24MAY23 has expired. */
const NOW = Date.UTC(2023, 4, 25, 12);
const MAY27 = Date.UTC(2023, 4, 27, 8); // 1685174400000
const PUT = 'BTCUSD-27MAY23-24000-P';
const CALL = 'BTCUSD-27MAY23-26000-C';
const EXPIRED = 'BTCUSD-24MAY23-24000-P';

const parse = (id: ChannelId, raw: Record<string, unknown>, now = NOW) => CHANNELS[id].parseArgs(raw, now);
const topicOf = (id: ChannelId, raw: Record<string, unknown>, now = NOW) => CHANNELS[id].topic(parse(id, raw, now));

/** Asserts a BAD_USER_INPUT GatewayError whose message matches every pattern. */
function expectBadInput(run: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a BAD_USER_INPUT error').toBeInstanceOf(GatewayError);
  const error = caught as GatewayError;
  expect(error.code).toBe('BAD_USER_INPUT');
  for (const pattern of patterns) expect(error.message).toMatch(pattern);
}

const OPTION_SYMBOL_CHANNELS = ['optionKline', 'optionPricing', 'optionOrderBook', 'optionTrades', 'optionFills'] as const;
const FUTURES_SYMBOL_CHANNELS = ['futuresKline', 'futuresOrderBook', 'futuresTrades', 'futuresIndexPrice', 'optionIndexPrice'] as const;
const withPeriod = (id: ChannelId, raw: Record<string, unknown>) => (id.endsWith('Kline') ? { period: 'H1', ...raw } : raw);

describe('option symbol arguments', () => {
  it.each(OPTION_SYMBOL_CHANNELS)('%s rejects a futures/underlying symbol and says so', (id) => {
    expectBadInput(
      () => parse(id, withPeriod(id, { symbol: 'BTCUSD' })),
      new RegExp(`^${id}:`),
      /option symbol such as BTCUSD-27MAY23-24000-P/,
      /"BTCUSD" is an underlying\/futures symbol/,
    );
  });

  it.each(
    OPTION_SYMBOL_CHANNELS.flatMap((id) =>
      ['BTC-USD', 'btcusd-27MAY23-24000-P', 'BTCUSD-00JUL23-27000-C', 'BTCUSD-31FEB24-100-C', 'BTCUSD-27MAY23-24000', ''].map(
        (s) => [id, s] as const,
      ),
    ),
  )('%s rejects the malformed symbol %j', (id, symbol) => {
    expectBadInput(() => parse(id, withPeriod(id, { symbol })), /must be an option symbol/, /UNDERLYING-DMMMYY-STRIKE-C\|P/);
  });

  it.each(OPTION_SYMBOL_CHANNELS)('%s accepts a zero-padded day (BTCUSD-07DEC26-65000-C) as the exchange writes it (7DEC26)', (id) => {
    const args = parse(id, withPeriod(id, { symbol: 'BTCUSD-07DEC26-65000-C' }));
    expect(args).toMatchObject({ symbol: 'BTCUSD-7DEC26-65000-C' });
    expect(topicOf(id, withPeriod(id, { symbol: 'BTCUSD-07DEC26-65000-C' })).key).toBe(
      topicOf(id, withPeriod(id, { symbol: 'BTCUSD-7DEC26-65000-C' })).key,
    );
  });

  it.each(OPTION_SYMBOL_CHANNELS)('%s rejects an expired option with its expiry time', (id) => {
    expectBadInput(
      () => parse(id, withPeriod(id, { symbol: EXPIRED })),
      /option BTCUSD-24MAY23-24000-P expired at 2023-05-24T08:00:00.000Z/,
      /live expiry/,
    );
  });

  it('an option is expired from its 08:00 UTC expiry instant on', () => {
    expectBadInput(() => parse('optionPricing', { symbol: PUT }, MAY27), /expired/);
    expect(parse('optionPricing', { symbol: PUT }, MAY27 - 1)).toEqual({ symbol: PUT });
  });

  it.each(OPTION_SYMBOL_CHANNELS)('%s requires its symbol, as a string', (id) => {
    expectBadInput(() => parse(id, withPeriod(id, {})), /argument "symbol" is required/);
    expectBadInput(() => parse(id, withPeriod(id, { symbol: 42 })), /"symbol" must be a string/);
  });
});

describe('futures and underlying symbol arguments', () => {
  it.each(FUTURES_SYMBOL_CHANNELS)('%s rejects an option symbol and says so', (id) => {
    expectBadInput(
      () => parse(id, withPeriod(id, { symbol: PUT })),
      new RegExp(`^${id}:`),
      /such as BTCUSD/,
      /"BTCUSD-27MAY23-24000-P" is an option symbol/,
    );
  });

  it.each(FUTURES_SYMBOL_CHANNELS.flatMap((id) => ['btcusd', 'BTC', 'BTCUSDT', 'BTC-USD', ''].map((s) => [id, s] as const)))(
    '%s rejects the malformed symbol %j',
    (id, symbol) => {
      expectBadInput(() => parse(id, withPeriod(id, { symbol })), /upper case, ending in USD/);
    },
  );

  it('trims surrounding spaces from a valid symbol', () => {
    expect(topicOf('futuresOrderBook', { symbol: ' BTCUSD ' })).toEqual({ key: 'BTCUSD', payload: { symbol: 'BTCUSD' } });
  });
});

describe('order book depth', () => {
  it.each(['optionOrderBook', 'futuresOrderBook'] as const)('%s rejects zero, negative, fractional and absurd depths', (id) => {
    const symbol = id === 'optionOrderBook' ? CALL : 'BTCUSD';
    for (const depth of [0, -1, -100, 1.5, 101, 1_000_000_000, Number.NaN, '10']) {
      expectBadInput(() => parse(id, { symbol, depth }), /"depth" must be an integer from 1 to 100/);
    }
  });

  it('accepts 1 to 100 and no depth at all; depth does not change the upstream topic', () => {
    expect(parse('futuresOrderBook', { symbol: 'BTCUSD', depth: 1 })).toEqual({ symbol: 'BTCUSD', depth: 1 });
    expect(parse('futuresOrderBook', { symbol: 'BTCUSD', depth: 100 })).toEqual({ symbol: 'BTCUSD', depth: 100 });
    expect(parse('futuresOrderBook', { symbol: 'BTCUSD' })).toEqual({ symbol: 'BTCUSD', depth: undefined });
    expect(topicOf('futuresOrderBook', { symbol: 'BTCUSD', depth: 5 })).toEqual({ key: 'BTCUSD', payload: { symbol: 'BTCUSD' } });
    expect(topicOf('optionOrderBook', { symbol: CALL, depth: 20 })).toEqual({ key: CALL, payload: { symbol: CALL } });
  });
});

describe('kline period', () => {
  it('takes the GraphQL enum name and subscribes with the wire code', () => {
    expect(parse('optionKline', { symbol: PUT, period: 'H1' })).toEqual({ symbol: PUT, period: 'h1' });
    expect(topicOf('optionKline', { symbol: PUT, period: 'H1' })).toEqual({ key: `${PUT}|h1`, payload: { symbol: PUT, period: 'h1' } });
    expect(topicOf('futuresKline', { symbol: 'BTCUSD', period: 'MN1' })).toEqual({
      key: 'BTCUSD|mn1',
      payload: { symbol: 'BTCUSD', period: 'mn1' },
    });
    expect(topicOf('futuresKline', { symbol: 'BTCUSD', period: 'QUARTER' })).toEqual({
      key: 'BTCUSD|quarter',
      payload: { symbol: 'BTCUSD', period: 'quarter' },
    });
  });

  it('rejects an unknown or missing period, listing the valid ones', () => {
    expectBadInput(
      () => parse('futuresKline', { symbol: 'BTCUSD', period: 'H2' }),
      /"period" must be one of M1, M5, M15, M30, H1, H4, D1, W1, MN1, QUARTER/,
    );
    expectBadInput(() => parse('futuresKline', { symbol: 'BTCUSD', period: 'h1' }), /"period" must be one of/);
    expectBadInput(() => parse('futuresKline', { symbol: 'BTCUSD' }), /argument "period" is required/);
  });
});

describe('trade side filter', () => {
  it('accepts BUY and SELL, rejects anything else', () => {
    expect(parse('futuresTrades', { symbol: 'BTCUSD', side: 'SELL' })).toEqual({ symbol: 'BTCUSD', side: 'SELL' });
    expect(topicOf('optionTrades', { symbol: CALL, side: 'BUY' })).toEqual({ key: CALL, payload: { symbol: CALL } });
    expectBadInput(() => parse('futuresTrades', { symbol: 'BTCUSD', side: 'buy' }), /"side" must be one of BUY, SELL/);
    expectBadInput(() => parse('futuresTrades', { symbol: 'BTCUSD', side: 1 }), /"side" must be one of BUY, SELL/);
  });
});

describe('optionChain', () => {
  it('subscribes tOption with the underlying and the expiry as `end`', () => {
    expect(topicOf('optionChain', { underlying: 'BTCUSD', expiry: MAY27 })).toEqual({
      key: 'BTCUSD|1685174400000',
      payload: { symbol: 'BTCUSD', end: 1685174400000 },
    });
  });

  it('filters do not change the upstream topic', () => {
    expect(topicOf('optionChain', { underlying: 'BTCUSD', expiry: MAY27, type: 'PUT', minStrike: 20000, maxStrike: 30000 })).toEqual({
      key: 'BTCUSD|1685174400000',
      payload: { symbol: 'BTCUSD', end: 1685174400000 },
    });
    expect(parse('optionChain', { underlying: 'BTCUSD', expiry: MAY27, minStrike: 25000, maxStrike: 25000 })).toMatchObject({
      minStrike: 25000,
      maxStrike: 25000,
    });
  });

  it('rejects an expiry in the past', () => {
    expectBadInput(
      () => parse('optionChain', { underlying: 'BTCUSD', expiry: Date.UTC(2023, 4, 24, 8) }),
      /"expiry" 2023-05-24T08:00:00.000Z is in the past/,
    );
  });

  it('rejects an expiry that is not 08:00 UTC', () => {
    for (const expiry of [Date.UTC(2023, 4, 27, 0), Date.UTC(2023, 4, 27, 9), MAY27 + 1, MAY27 + 60_000]) {
      expectBadInput(() => parse('optionChain', { underlying: 'BTCUSD', expiry }), /options expire at 08:00 UTC/, /is not an expiry time/);
    }
  });

  it('rejects an expiry that is not a DateTime value', () => {
    expectBadInput(() => parse('optionChain', { underlying: 'BTCUSD', expiry: '27MAY23' }), /"expiry" must be a DateTime/);
    expectBadInput(() => parse('optionChain', { underlying: 'BTCUSD' }), /argument "expiry" is required/);
  });

  it('rejects minStrike above maxStrike, and negative strikes', () => {
    expectBadInput(
      () => parse('optionChain', { underlying: 'BTCUSD', expiry: MAY27, minStrike: 30000, maxStrike: 20000 }),
      /"minStrike" \(30000\) is above "maxStrike" \(20000\)/,
    );
    expectBadInput(
      () => parse('optionChain', { underlying: 'BTCUSD', expiry: MAY27, minStrike: -1 }),
      /"minStrike" must be a non-negative number/,
    );
    expectBadInput(
      () => parse('optionChain', { underlying: 'BTCUSD', expiry: MAY27, maxStrike: Number.POSITIVE_INFINITY }),
      /"maxStrike" must be a non-negative number/,
    );
  });

  it('rejects an option symbol as the underlying, and an unknown option type', () => {
    expectBadInput(
      () => parse('optionChain', { underlying: PUT, expiry: MAY27 }),
      /"underlying" must be an underlying such as BTCUSD/,
      /is an option symbol/,
    );
    expectBadInput(() => parse('optionChain', { underlying: 'BTCUSD', expiry: MAY27, type: 'C' }), /"type" must be one of CALL, PUT/);
  });
});

describe('private channels', () => {
  it('accountBalance takes no arguments and no upstream payload', () => {
    expect(topicOf('accountBalance', {})).toEqual({ key: '', payload: undefined });
  });

  it('optionFills subscribes one option upstream', () => {
    expect(topicOf('optionFills', { symbol: CALL })).toEqual({ key: CALL, payload: { symbol: CALL } });
  });

  it('futuresFills, orders and positions carry the whole account; the symbol only filters', () => {
    for (const id of ['futuresFills', 'futuresOrders', 'futuresPositions'] as const) {
      expect(topicOf(id, { symbol: 'BTCUSD' })).toEqual({ key: '', payload: undefined });
      expect(topicOf(id, {})).toEqual({ key: '', payload: undefined });
      expectBadInput(() => parse(id, { symbol: PUT }), /is an option symbol/);
    }
    expect(topicOf('optionOrders', { symbol: CALL })).toEqual({ key: '', payload: undefined });
  });

  it('optionOrders may filter on an expired option (its orders still exist), but not on a futures symbol', () => {
    expect(parse('optionOrders', { symbol: EXPIRED })).toEqual({ symbol: EXPIRED });
    expectBadInput(() => parse('optionOrders', { symbol: 'BTCUSD' }), /must be an option symbol/, /underlying\/futures symbol/);
    expectBadInput(() => parse('optionOrders', { symbol: 'BTCUSD-27MAY23' }), /must be an option symbol/);
  });

  describe('optionPositions underlyings', () => {
    it('accepts a list of underlyings, sharing one upstream subscription', () => {
      expect(parse('optionPositions', { underlyings: ['BTCUSD', 'ETHUSD'] })).toEqual({ underlyings: ['BTCUSD', 'ETHUSD'] });
      expect(topicOf('optionPositions', { underlyings: ['BTCUSD'] })).toEqual({ key: '', payload: undefined });
      expect(parse('optionPositions', {})).toEqual({ underlyings: undefined });
    });

    it('rejects an empty list, too long a list, and anything but underlyings', () => {
      expectBadInput(() => parse('optionPositions', { underlyings: [] }), /"underlyings" must list 1 to 20 underlyings/);
      expectBadInput(() => parse('optionPositions', { underlyings: Array.from({ length: 21 }, () => 'BTCUSD') }), /must list 1 to 20/);
      expectBadInput(() => parse('optionPositions', { underlyings: 'BTCUSD' }), /must list 1 to 20/);
      expectBadInput(() => parse('optionPositions', { underlyings: ['BTCUSD', PUT] }), /is an option symbol/);
      expectBadInput(() => parse('optionPositions', { underlyings: ['btcusd'] }), /upper case, ending in USD/);
    });
  });
});

describe('argument kinds', () => {
  it('an enum argument carries its enum table, as an enum field does', () => {
    expect(CHANNELS.futuresKline.args.period).toMatchObject({ kind: 'enum', enumDef: KlinePeriod, required: true });
    expect(CHANNELS.optionTrades.args.side).toMatchObject({ kind: 'enum', enumDef: TradeSide, required: false });
    expect(CHANNELS.optionChain.args.type).toMatchObject({ kind: 'enum', enumDef: OptionType, required: false });
  });

  it("every argument's GraphQL type follows from its kind and requiredness (an enum argument's from its table)", () => {
    const PLAIN: Record<PlainArgKind, string> = {
      string: 'String',
      int: 'Int',
      float: 'Float',
      decimal: 'Decimal',
      dateTime: 'DateTime',
      stringList: '[String!]',
    };
    let checked = 0;
    for (const id of CHANNEL_IDS) {
      for (const [name, spec] of Object.entries(CHANNELS[id].args)) {
        const type = spec.kind === 'enum' ? spec.enumDef.name : PLAIN[spec.kind];
        expect(argType(id, name), `${id}(${name})`).toBe(spec.required ? `${type}!` : type);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(CHANNEL_IDS.length);
  });
});

describe('DateTime arguments', () => {
  it("a literal that is not an ISO-8601 date and time fails validation with BAD_USER_INPUT and the scalar's own message", () => {
    const errors = validate(
      gatewaySchema(),
      parseDocument('subscription { optionChain(underlying: "BTCUSD", expiry: "27MAY23") { underlying } }'),
    );
    expect(errors.map((e) => ({ message: e.message, code: e.extensions['code'] }))).toEqual([
      {
        message: 'DateTime must be an ISO-8601 date and time with a zone, e.g. "2023-05-27T08:00:00.000Z"; got "27MAY23".',
        code: 'BAD_USER_INPUT',
      },
    ]);
  });
});
