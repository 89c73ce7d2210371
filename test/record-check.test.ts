/**
 * The check of a decoded record against its shape (`channels/record-check.ts`),
 * held to the decoder: every channel's fixture frames, decoded, made into
 * events and back into the items the cluster's engine stores (`itemsOf`),
 * through JSON as the engine keeps them, pass the check; records broken in
 * each way a writer could break them do not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../src/coincall/protocol.ts';
import { decodeItems } from '../src/channels/channel.ts';
import { recordProblem } from '../src/channels/record-check.ts';
import { CHANNEL_IDS, CHANNELS } from '../src/channels/registry.ts';
import { OrderBookShape } from '../src/channels/shapes/order-book.ts';
import { TradeShape } from '../src/channels/shapes/trade.ts';

interface Fixture {
  readonly receivedAt: number;
  readonly cases: ReadonlyArray<{ readonly frame: string }>;
}

const loadFixture = (id: string): Fixture => JSON.parse(readFileSync(new URL(`./fixtures/${id}.json`, import.meta.url), 'utf8')) as Fixture;

describe('recordProblem', () => {
  it.each(CHANNEL_IDS.map((id) => [id]))('passes every item the engine would store of %s', (id) => {
    const channel = CHANNELS[id];
    const fixture = loadFixture(id);
    let checked = 0;
    for (const { frame: text } of fixture.cases) {
      const frame = parseFrame(text);
      if (frame.kind !== 'data') continue;
      const items = decodeItems(channel, frame.d, { frameTs: frame.ts, receivedAt: fixture.receivedAt });
      for (const event of channel.toEvents(items, undefined)) {
        for (const stored of JSON.parse(JSON.stringify(channel.itemsOf(event))) as unknown[]) {
          expect(recordProblem(channel.item, stored), JSON.stringify(stored)).toBeUndefined();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  const trade = {
    id: 'BTCUSD|1700000000000|1|1|BUY|0',
    symbol: 'BTCUSD',
    price: '1',
    volume: '0.5',
    side: 'BUY',
    timestamp: 1_700_000_000_000,
  };

  it('names what is wrong with a record that is not one', () => {
    const bad = (over: Record<string, unknown>) => recordProblem(TradeShape, { ...trade, ...over });
    expect(recordProblem(TradeShape, trade)).toBeUndefined();
    expect(recordProblem(TradeShape, { ...trade, extra: { anything: 1 } }), 'extra keys are ignored').toBeUndefined();
    expect(recordProblem(TradeShape, { ...trade, side: null }), 'an optional field may be null').toBeUndefined();
    expect(recordProblem(TradeShape, null)).toBe('Trade: not an object');
    expect(recordProblem(TradeShape, 5)).toBe('Trade: not an object');
    expect(recordProblem(TradeShape, [trade])).toBe('Trade: not an object');
    expect(recordProblem(TradeShape, { foo: 1 })).toBe('Trade.id: missing');
    expect(bad({ id: 7 })).toBe('Trade.id: not a valid id');
    expect(bad({ symbol: undefined })).toBe('Trade.symbol: missing');
    expect(bad({ price: { a: 1 } })).toBe('Trade.price: not a valid decimal');
    expect(bad({ price: 1 })).toBe('Trade.price: not a valid decimal');
    expect(bad({ price: '1e5' })).toBe('Trade.price: not a valid decimal');
    expect(bad({ volume: [] })).toBe('Trade.volume: not a valid decimal');
    expect(bad({ side: 'NOPE' })).toBe('Trade.side: not a TradeSide');
    expect(bad({ side: 'toString' })).toBe('Trade.side: not a TradeSide');
    expect(bad({ timestamp: 1e300 })).toBe('Trade.timestamp: not a valid timestamp');
    expect(bad({ timestamp: -5 })).toBe('Trade.timestamp: not a valid timestamp');
    expect(bad({ timestamp: 1_700_000_000_000.5 })).toBe('Trade.timestamp: not a valid timestamp');
    expect(bad({ timestamp: 'yesterday' })).toBe('Trade.timestamp: not a valid timestamp');
  });

  it('checks every element of a list field', () => {
    const book = {
      symbol: 'BTCUSD',
      id: 'BTCUSD',
      timestamp: 1_700_000_000_000,
      bids: [{ price: '1', volume: '2', total: '2' }],
      asks: [],
    };
    expect(recordProblem(OrderBookShape, book)).toBeUndefined();
    expect(recordProblem(OrderBookShape, { nope: 1 })).toBe('OrderBook.symbol: missing');
    expect(recordProblem(OrderBookShape, { ...book, timestamp: 1e300 })).toBe('OrderBook.timestamp: not a valid timestamp');
    expect(recordProblem(OrderBookShape, { ...book, asks: {} })).toBe('OrderBook.asks: not a list');
    expect(recordProblem(OrderBookShape, { ...book, bids: [...book.bids, { price: 'x', volume: '1', total: '1' }] })).toBe(
      'OrderBook.bids[1]: PriceLevel.price: not a valid decimal',
    );
    expect(recordProblem(OrderBookShape, { ...book, bids: [null] })).toBe('OrderBook.bids[0]: PriceLevel: not an object');
  });
});
