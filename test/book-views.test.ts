/**
 * Order book views and cache identity, on the channel definitions: `group`
 * buckets prices exactly (bids down, asks up, volumes summed) before `depth`;
 * `total` is the cumulative volume from the best level; a state view's `id` is
 * stable for the same view and distinct for another depth, group or filter.
 */
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { addDecimals, roundToStep } from '../src/lib/decimal.ts';
import { GatewayError } from '../src/lib/errors.ts';

const channel = CHANNELS.futuresOrderBook;
const NOW = Date.UTC(2023, 4, 26);
const level = (price: string, volume: string) => ({ price, volume, total: volume });
const raw = {
  id: 'BTCUSD',
  symbol: 'BTCUSD',
  timestamp: 1700000000000,
  bids: [level('100.5', '0.1'), level('100.2', '0.2'), level('99.9', '0.3'), level('98', '1')],
  asks: [level('100.6', '0.1'), level('100.9', '0.2'), level('101.2', '0.3'), level('103', '1')],
};
const [event] = channel.toEvents([raw], undefined);
interface BookView {
  readonly id: string;
  readonly bids: ReadonlyArray<{ readonly price: string; readonly volume: string; readonly total: string }>;
  readonly asks: ReadonlyArray<{ readonly price: string; readonly volume: string; readonly total: string }>;
}
const view = (args: Record<string, unknown>) =>
  channel.filter(event, channel.parseArgs({ symbol: 'BTCUSD', ...args }, NOW)) as BookView | null;

describe('exact decimals', () => {
  it('adds without float error', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('26443.9', '0.00000001')).toBe('26443.90000001');
    expect(addDecimals('-1.5', '1.5')).toBe('0');
  });

  it('rounds to a step: down toward minus infinity, up toward plus infinity', () => {
    expect(roundToStep('100.5', '1', 'down')).toBe('100');
    expect(roundToStep('100.5', '1', 'up')).toBe('101');
    expect(roundToStep('100', '0.5', 'up')).toBe('100');
    expect(roundToStep('0.3', '0.1', 'down')).toBe('0.3');
    expect(roundToStep('26443.95', '2.5', 'down')).toBe('26442.5');
    expect(roundToStep('-1.2', '1', 'down')).toBe('-2');
  });
});

describe('PriceLevel.total', () => {
  it('is the cumulative volume from the best level through this one, on each side', () => {
    expect(view({})).toMatchObject({
      bids: [{ total: '0.1' }, { total: '0.3' }, { total: '0.6' }, { total: '1.6' }],
      asks: [{ total: '0.1' }, { total: '0.3' }, { total: '0.6' }, { total: '1.6' }],
    });
  });

  it('stays right when depth cuts the book', () => {
    expect(view({ depth: 2 })).toMatchObject({ bids: [{ total: '0.1' }, { total: '0.3' }], asks: [{ total: '0.1' }, { total: '0.3' }] });
  });
});

describe('group', () => {
  it('buckets bids down and asks up, sums volumes exactly, then applies depth', () => {
    expect(view({ group: '1' })).toMatchObject({
      bids: [
        { price: '100', volume: '0.3', total: '0.3' },
        { price: '99', volume: '0.3', total: '0.6' },
        { price: '98', volume: '1', total: '1.6' },
      ],
      asks: [
        { price: '101', volume: '0.3', total: '0.3' },
        { price: '102', volume: '0.3', total: '0.6' },
        { price: '103', volume: '1', total: '1.6' },
      ],
    });
    const top = view({ group: '1', depth: 1 });
    expect(top).toMatchObject({ bids: [{ price: '100', volume: '0.3' }], asks: [{ price: '101', volume: '0.3' }] });
    expect(top?.bids).toHaveLength(1);
  });

  it('works with fractional buckets', () => {
    expect(view({ group: '0.5' })?.bids.map((l) => [l.price, l.volume])).toEqual([
      ['100.5', '0.1'],
      ['100', '0.2'],
      ['99.5', '0.3'],
      ['98', '1'],
    ]);
  });

  it.each([['0'], ['-1'], ['abc'], ['1e3'], [''], [5]])('refuses %j with BAD_USER_INPUT', (group) => {
    expect(() => channel.parseArgs({ symbol: 'BTCUSD', group }, NOW)).toThrow(GatewayError);
    try {
      channel.parseArgs({ symbol: 'BTCUSD', group }, NOW);
    } catch (error) {
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
  });
});

describe('cache identity of state views', () => {
  it('names the field, the entity and the view', () => {
    expect(view({})?.id).toBe('futuresOrderBook:BTCUSD');
    expect(view({ depth: 5, group: '10' })?.id).toBe('futuresOrderBook:BTCUSD:depth=5:group=10');
  });

  it('is stable for the same view and distinct for another depth, group or market', () => {
    expect(view({ depth: 5 })?.id).toBe(view({ depth: 5 })?.id);
    const ids = [view({}), view({ depth: 5 }), view({ depth: 10 }), view({ group: '1' }), view({ depth: 5, group: '1' })].map((v) => v?.id);
    expect(new Set(ids).size).toBe(ids.length);
    const optionBook = CHANNELS.optionOrderBook;
    const symbol = 'BTCUSD-27MAY23-24000-P';
    const [optionEvent] = optionBook.toEvents([{ ...raw, id: symbol, symbol }], undefined);
    expect(optionBook.filter(optionEvent, optionBook.parseArgs({ symbol }, NOW))).toMatchObject({ id: `optionOrderBook:${symbol}` });
  });

  it('keeps chain views with other filters apart', () => {
    const chain = CHANNELS.optionChain;
    const expiry = Date.UTC(2023, 4, 27, 8);
    const ticker = {
      symbol: 'BTCUSD-27MAY23-24000-C',
      id: 'BTCUSD-27MAY23-24000-C',
      underlying: 'BTCUSD',
      expiry,
      strike: '24000',
      type: 'CALL',
      timestamp: 1,
    };
    const [merged] = chain.toEvents([ticker], undefined);
    const idOf = (args: Record<string, unknown>) =>
      (chain.filter(merged, chain.parseArgs({ underlying: 'BTCUSD', expiry, ...args }, NOW)) as { id: string }).id;
    expect(idOf({})).toBe('optionChain:BTCUSD:2023-05-27T08:00:00.000Z');
    expect(idOf({ type: 'CALL' })).toBe('optionChain:BTCUSD:2023-05-27T08:00:00.000Z:type=CALL');
    expect(idOf({ minStrike: 20000 })).not.toBe(idOf({}));
  });
});
