/**
 * A lone subscriber's reconnect longer than the linger, against the scripted
 * stand-in exchange: the topic was closed upstream meanwhile (its linger
 * ended) and opened again by the resume. The exchange's first frame after the
 * subscribe lists its recent trades; when that batch reaches back to what the
 * window retained, nothing was missed: the trades of the closed time come
 * live, once each, in order, with no STREAM_INTERRUPTED, and a later replay
 * across that time has no gap either. When it does not reach back, trades
 * may be missing: STREAM_INTERRUPTED (UPSTREAM, since the topic was closed)
 * goes first, and a replay across that time gives it at its place. A trades
 * query that opens such a topic again waits for that batch, not only for
 * what the window held from before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import type { Sink } from '../src/hub/sink.ts';
import { startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';
import { nextValue, wireTradeMaker } from './helpers/upstream-trades.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const trades = CHANNELS.futuresTrades;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;

interface SeenTrade {
  readonly price: string;
  readonly timestamp: number;
  readonly cursor: string;
}

const tradesOf = (value: unknown): SeenTrade[] => (Array.isArray(value) ? (value as SeenTrade[]) : []);
/** What a sink gave, in order: `trades` for each list, the reason of each signal. */
const shapeOf = (values: readonly unknown[]) => values.map((v) => (v instanceof StreamInterruption ? v.reason : 'trades'));
const pricesOf = (values: readonly unknown[]) => values.flatMap((v) => tradesOf(v).map((t) => Number(t.price)));

/** Values of `sink` until `trades` trades came (signals kept in their place). */
async function valuesUntil(sink: Sink<unknown>, count: number): Promise<unknown[]> {
  const values: unknown[] = [];
  while (pricesOf(values).length < count) values.push(await nextValue(sink, `${count} trades`));
  return values;
}

/**
 * One subscriber takes `before` trades and leaves; the topic lingers out (unsubscribed upstream); `whileClosed`
 * trades are traded meanwhile; it comes back with the cursor of the newest trade it had.
 */
async function comeBackAfterLinger(replayOnSubscribe: number, before: number, whileClosed: number) {
  // Oldest first: the stand-in re-sends the last items it was given.
  const wireTrades = wireTradeMaker();
  const setup = await startUpstreamOnFakeExchange({ replayOnSubscribe });
  const { exchange, upstream } = setup;
  const subscribe = (args: Record<string, unknown>) =>
    upstream.subscribe(trades, trades.parseArgs({ ...BTC, ...args }, Date.now()), undefined);
  const first = subscribe({});
  await first.ready;
  await waitFor(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(before)) === 1, 'the topic live');
  const had = tradesOf(await nextValue(first.events, 'the first trades'));
  await first.events.return();
  await waitFor(() => upstream.status().topics.length === 0, 'the topic closed after its linger');
  await waitFor(() => !exchange.connections.some((c) => c.topics.has(TOPIC_KEY)), 'the topic unsubscribed upstream');
  const closedAt = Date.now();
  const missed = wireTrades(whileClosed);
  expect(exchange.publish(TRADES_DT, 'lastTrade', BTC, missed)).toBe(0);
  const newest = had.reduce((a, b) => (a.timestamp > b.timestamp ? a : b));
  const oldest = had.reduce((a, b) => (a.timestamp < b.timestamp ? a : b));
  const resumed = subscribe({ after: newest.cursor });
  await resumed.ready;
  return { ...setup, subscribe, resumed, missed, closedAt, oldest, wireTrades };
}

describe('a trades query that opens the topic again after its linger', () => {
  it('answers the newest trades with those of the closed time (it waits for the batch, not only for what the window held)', async () => {
    const wireTrades = wireTradeMaker();
    // The exchange's batch comes a moment after its answer to the subscribe (here: published once subscribed).
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    const args = trades.parseArgs(BTC, Date.now());
    const first = upstream.subscribe(trades, args, undefined);
    await first.ready;
    await waitFor(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3)) === 1, 'the topic live');
    await nextValue(first.events, 'the first trades');
    await first.events.return();
    await waitFor(() => upstream.status().topics.length === 0, 'the topic closed after its linger');
    await waitFor(() => !exchange.connections.some((c) => c.topics.has(TOPIC_KEY)), 'the topic unsubscribed upstream');
    const query = upstream.snapshot(trades, args, undefined, { limit: 3 });
    await waitFor(() => exchange.connections.some((c) => c.topics.has(TOPIC_KEY)), 'the topic subscribed again');
    const missed = wireTrades(2);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, missed);
    const newest = tradesOf(await query);
    expect(newest.map((t) => Number(t.price))).toEqual([Number(missed[1]?.pr), Number(missed[0]?.pr), Number(missed[0]?.pr) - 1]);
  });
});

describe('a lone subscriber back after the linger (the topic was closed upstream meanwhile)', () => {
  it('gets the trades of the closed time from the batch that reaches back, in order, once each, with no STREAM_INTERRUPTED', async () => {
    const { exchange, subscribe, resumed, missed, oldest, wireTrades } = await comeBackAfterLinger(20, 3, 4);
    const values = await valuesUntil(resumed.events, 4);
    expect(shapeOf(values)).toEqual(['trades']);
    expect(pricesOf(values).sort()).toEqual(missed.map((t) => Number(t.pr)).sort());
    const live = wireTrades(1);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, live);
    expect(pricesOf([await nextValue(resumed.events, 'live')])).toEqual([Number(live[0]?.pr)]);
    // A replay across the closed time: every trade once, oldest first, no gap marker.
    const again = subscribe({ after: oldest.cursor });
    await again.ready;
    const replay = await valuesUntil(again.events, 2 + 4 + 1);
    expect(shapeOf(replay)).toEqual(['trades']);
    const prices = pricesOf(replay);
    expect(prices).toEqual(Array.from({ length: 7 }, (_, i) => Number(oldest.price) + 1 + i));
  });

  it('says STREAM_INTERRUPTED (UPSTREAM, since the topic was closed) when the batch does not reach back, also in a replay across it', async () => {
    const { subscribe, resumed, missed, closedAt, oldest } = await comeBackAfterLinger(3, 3, 10);
    const values = await valuesUntil(resumed.events, 3);
    expect(shapeOf(values)).toEqual(['UPSTREAM', 'trades']);
    const signal = values[0] as StreamInterruption;
    expect(signal.since).toBeLessThanOrEqual(closedAt);
    expect(signal.until).toBeGreaterThanOrEqual(closedAt);
    expect(pricesOf(values).sort()).toEqual(
      missed
        .slice(-3)
        .map((t) => Number(t.pr))
        .sort(),
    );
    const again = subscribe({ after: oldest.cursor });
    await again.ready;
    const replay = await valuesUntil(again.events, 2 + 3);
    expect(shapeOf(replay)).toEqual(['trades', 'UPSTREAM', 'trades']);
    expect((replay[1] as StreamInterruption).since).toBe(signal.since);
  });
});
