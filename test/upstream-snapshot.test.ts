/**
 * Query twins at the upstream layer, over the fake exchange: a snapshot is
 * served from the shared topic (one upstream subscribe for queries and
 * subscriptions alike), waits for the first value of a state topic at most
 * the snapshot timeout (then UPSTREAM_TIMEOUT), keeps recent trades newest
 * first and the latest position per symbol, and leaves the topic to linger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';
import { startUpstreamOnFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';

afterEach(disposeAll);

const book = CHANNELS.futuresOrderBook;
const trades = CHANNELS.futuresTrades;
const positions = CHANNELS.futuresPositions;
const CREDENTIAL = { apiKey: 'snapshot+KEY/1==', apiSecret: 'snapshot-secret' };
const now = () => Date.now();

/** Sends a data frame on every open futures connection (the topic's own connection among them). */
function push(exchange: FakeExchange, frame: unknown) {
  for (const c of exchange.connections)
    if (c.url.includes('futures') && c.socket.readyState === c.socket.OPEN) c.socket.send(JSON.stringify(frame));
}
const bookFrame = (bid: string) => ({
  dt: 32,
  c: 20,
  d: { s: 'BTCUSD', bids: [{ pr: bid, v: '1' }], asks: [{ pr: '101', v: '2' }], ts: 1700000000000 },
});
const subscribes = (exchange: FakeExchange, dataType: string) =>
  exchange.requests.filter((r) => r.action === 'subscribe' && r.dataType === dataType).length;

describe('state snapshots', () => {
  it('wait for the first value, then answer it in the view of the arguments', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    const answer = upstream.snapshot(book, book.parseArgs({ symbol: 'BTCUSD', depth: 1 }, now()), undefined);
    await waitFor(() => subscribes(exchange, 'orderBook') === 1, 'the upstream subscribe');
    push(exchange, bookFrame('100'));
    await expect(answer).resolves.toMatchObject({ symbol: 'BTCUSD', bids: [{ price: '100', volume: '1', total: '1' }] });
  });

  it('fail with UPSTREAM_TIMEOUT when no value comes within the snapshot timeout', async () => {
    const { upstream } = await startUpstreamOnFakeExchange({}, { querySnapshotTimeoutMs: 100 });
    const failure = await upstream.snapshot(book, book.parseArgs({ symbol: 'BTCUSD' }, now()), undefined).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('a query then a subscription of the same topic cost one upstream subscribe; the subscription gets the value at once', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({}, { lingerMs: 5_000 });
    const args = book.parseArgs({ symbol: 'BTCUSD' }, now());
    const answer = upstream.snapshot(book, args, undefined);
    await waitFor(() => subscribes(exchange, 'orderBook') === 1, 'the upstream subscribe');
    push(exchange, bookFrame('100'));
    await answer;
    const subscription = upstream.subscribe(book, args, undefined);
    const first = await subscription.events.next();
    expect(first.value).toMatchObject({ bids: [{ price: '100' }] });
    // And a second query is served from the live topic.
    await expect(upstream.snapshot(book, args, undefined)).resolves.toMatchObject({ bids: [{ price: '100' }] });
    expect(subscribes(exchange, 'orderBook')).toBe(1);
    await subscription.events.return();
  });

  it('leave the topic to its usual linger, then it is unsubscribed', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({}, { lingerMs: 30 });
    const answer = upstream.snapshot(book, book.parseArgs({ symbol: 'BTCUSD' }, now()), undefined);
    await waitFor(() => subscribes(exchange, 'orderBook') === 1, 'the upstream subscribe');
    push(exchange, bookFrame('100'));
    await answer;
    expect(upstream.status().topics.map((t) => t.channel)).toContain('futuresOrderBook');
    await waitFor(
      () => exchange.requests.some((r) => r.action === 'unSubscribe' && r.dataType === 'orderBook'),
      'the unsubscribe after the linger',
    );
    expect(upstream.status().topics).toEqual([]);
  });
});

describe('recent trades', () => {
  const trade = (price: string, ts: number) => ({ s: 'BTCUSD', pr: price, q: '1', sd: 1, ts });

  it('are what the topic saw since it was answered, newest first', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({}, { lingerMs: 5_000 });
    const args = trades.parseArgs({ symbol: 'BTCUSD' }, now());
    await expect(upstream.snapshot(trades, args, undefined)).resolves.toEqual([]);
    push(exchange, { dt: 33, c: 20, d: [trade('1', 1700000000001), trade('2', 1700000000002)] });
    push(exchange, { dt: 33, c: 20, d: [trade('3', 1700000000003)] });
    await waitFor(() => upstream.status().topics.length === 1, 'the topic');
    let seen: unknown = [];
    await waitFor(() => {
      void upstream.snapshot(trades, args, undefined).then((v) => (seen = v));
      return Array.isArray(seen) && seen.length === 3;
    }, 'three trades remembered');
    expect((seen as Array<{ price: string }>).map((t) => t.price)).toEqual(['3', '2', '1']);
    expect(subscribes(exchange, 'lastTrade')).toBe(1);
  });
});

describe('positions', () => {
  it('are the latest of each symbol of the account', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({}, { lingerMs: 5_000 });
    const args = positions.parseArgs({}, now());
    await expect(upstream.snapshot(positions, args, CREDENTIAL)).resolves.toEqual([]);
    const position = (s: string, q: string) => ({ dt: 36, c: 20, d: { s, q, si: 1, uid: 42 } });
    push(exchange, position('BTCUSD', '1'));
    push(exchange, position('ETHUSD', '2'));
    push(exchange, position('BTCUSD', '3'));
    let seen: unknown = [];
    await waitFor(() => {
      void upstream.snapshot(positions, args, CREDENTIAL).then((v) => (seen = v));
      return Array.isArray(seen) && seen.some((p: { quantity?: string }) => p.quantity === '3');
    }, 'the latest BTCUSD position');
    expect(seen).toEqual([
      expect.objectContaining({ id: '42:ETHUSD', symbol: 'ETHUSD', quantity: '2' }),
      expect.objectContaining({ id: '42:BTCUSD', symbol: 'BTCUSD', quantity: '3' }),
    ]);
  });
});
