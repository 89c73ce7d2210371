/**
 * Poison in the engine: anyone who can write to the streams' subjects can
 * store anything there, and every replica reads it. One replica in the test's
 * process on the file's own nats-server; the test writes forged messages
 * straight into the topic's subjects between the exchange's real trades and
 * books: items that are no records (null, a number, a string, an object
 * without a field), a trade with a time of 1e300 or a price that is an
 * object, no JSON, an envelope time of 1e300, a gap marker of 1e300, a book
 * without fields or with a time of 1e300. Live clients (plain and throttled)
 * keep their stream and get every real trade and nothing else; a book
 * subscriber keeps receiving; a resume and the trades Query page across the
 * poison answer the real trades; nothing becomes INTERNAL_SERVER_ERROR or
 * STREAM_INTERRUPTED; `coincall_gateway_cluster_bad_messages_total` counts
 * each by reason and the log names the topic and sequence.
 */
import { headers } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.ts';
import { CHANNELS } from '../../src/channels/registry.ts';
import { BAD_MESSAGE_LOG } from '../../src/sources/cluster/bad-messages.ts';
import { clusterTopicOf } from '../../src/sources/cluster/cluster-topic.ts';
import type { Engine } from '../../src/sources/cluster/engine.ts';
import { GAP_HEADER } from '../../src/sources/cluster/gap-marker.ts';
import { engineSettings, testEngine, uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, postGraphQL, waitFor, wsClient, type CapturedLog } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';
import { scrapeMetrics, sumOf } from '../helpers/prometheus.ts';
import { wireTradeMaker } from '../helpers/upstream-trades.ts';

useOwnNatsServer();
afterEach(disposeAll);

const TRADES_DT = 33;
const BOOK_DT = 32;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const BAD_METRIC = 'coincall_gateway_cluster_bad_messages_total';
/** Trades stamped from now on, newest first as the exchange lists a frame. */
const wireTrades = wireTradeMaker({ epoch: Date.now(), newestFirst: true });

interface Got {
  readonly items: Array<Record<string, unknown>>;
  readonly errors: Array<Record<string, unknown>>;
}

/** Subscribes `query` (its root field `field`) on `app` and collects every item and error until the test ends. */
function follow(app: App, query: string, field: string, variables: Record<string, unknown> = {}): Got {
  const got: Got = { items: [], errors: [] };
  const client = wsClient(app.url.replace(/^http/, 'ws'));
  onDispose(() => client.dispose());
  client.subscribe(
    { query, variables },
    {
      next: (r) => {
        const data = (r.data as Record<string, unknown> | null | undefined)?.[field];
        if (Array.isArray(data)) got.items.push(...(data as Array<Record<string, unknown>>));
        else if (data !== null && data !== undefined) got.items.push(data as Record<string, unknown>);
        for (const e of r.errors ?? []) got.errors.push({ ...(e.extensions ?? {}), message: e.message });
      },
      error: (e) => void got.errors.push({ code: 'CLOSED', detail: String(e) }),
      complete: () => undefined,
    },
  );
  return got;
}

const TRADES =
  'subscription ($after: String, $throttleMs: Int) { futuresTrades(symbol: "BTCUSD", after: $after, throttleMs: $throttleMs) { id price cursor } }';
const BOOK = 'subscription { futuresOrderBook(symbol: "BTCUSD") { symbol timestamp bids { price } } }';

interface Setup {
  readonly exchange: FakeExchange;
  readonly app: App;
  readonly engine: Engine;
  readonly logs: CapturedLog;
  readonly live: Got;
}

/** One replica holding BTCUSD trades, a live client following them, and the test's own connection to the engine. */
async function setUp(): Promise<Setup> {
  const exchange = await startFakeExchange();
  onDispose(() => exchange.close());
  const name = uniqueClusterName();
  const logs = captureLogs();
  const app = await startInProcessReplica(exchange, name, 'a', { logger: logs.logger });
  const engine = await testEngine(engineSettings({ name, leaseTtlMs: 3_000, maxEventsPerTopic: 1_000 }));
  const live = follow(app, TRADES, 'futuresTrades');
  const holding = () => exchange.connections.some((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY));
  await waitFor(holding, 'the replica holding the trades upstream', 10_000);
  await sendUntil(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1)), live, 'a first trade');
  return { exchange, app, engine, logs, live };
}

/** Sends now and then until `got` has an item: the replica's feed of the topic is open. */
async function sendUntil(send: () => void, got: Got, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (got.items.length === 0) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    send();
    await new Promise((r) => setTimeout(r, 100));
  }
}

const now = Date.now();
/** A trade as the engine stores them (decoded, its id complete). */
const storedTrade = (price: string, over: Record<string, unknown> = {}) => ({
  id: `BTCUSD|${now}|${price}|1|BUY|0`,
  symbol: 'BTCUSD',
  price,
  volume: '1',
  side: 'BUY',
  timestamp: now,
  ...over,
});

/** Writes the poison into the trades subject: each message (or item) bad in another way; one message holds a valid trade beside a bad one. */
async function poisonTrades(engine: Engine): Promise<void> {
  const subject = engine.names.subject(clusterTopicOf(CHANNELS.futuresTrades, 'BTCUSD'));
  const put = (body: unknown, gap?: string) => {
    const h = headers();
    if (gap !== undefined) h.set(GAP_HEADER, gap);
    return engine.js.publish(subject, typeof body === 'string' ? body : JSON.stringify(body), gap === undefined ? {} : { headers: h });
  };
  await put({ items: [null, 5, 'str'], ts: now });
  await put({ items: [{ foo: 1 }], ts: now });
  await put({ items: [storedTrade('1', { timestamp: 1e300 }), storedTrade('7777')], ts: now });
  await put({ items: [storedTrade('2', { price: { a: 1 }, volume: [], side: 'NOPE' })], ts: now });
  await put('this is not json {');
  await put({ items: [storedTrade('3')], ts: 1e300 });
  await put({ since: 1e300, until: 1e301 }, 'UPSTREAM');
}

const errorsOf = (got: Got) => got.errors.map((e) => e['code']);

describe('poison in the engine', () => {
  it(
    'live clients keep their stream and every real trade; a book subscriber keeps receiving; each bad thing is counted',
    { timeout: 60_000 },
    async () => {
      const { exchange, app, engine, logs, live } = await setUp();
      const throttled = follow(app, TRADES, 'futuresTrades', { throttleMs: 400 });
      const book = follow(app, BOOK, 'futuresOrderBook');
      const bookItem = { s: 'BTCUSD', ts: Date.now(), asks: [{ pr: '101', v: '1' }], bids: [{ pr: '99', v: '1' }] };
      await sendUntil(() => exchange.publish(BOOK_DT, 'orderBook', BTC, [{ ...bookItem, ts: Date.now() }]), book, 'a first book');
      await new Promise((r) => setTimeout(r, 500));
      const [liveFrom, throttledFrom] = [live.items.length, throttled.items.length];

      // The poison, then real trades in the same throttle window.
      await poisonTrades(engine);
      const bookSubject = engine.names.subject(clusterTopicOf(CHANNELS.futuresOrderBook, 'BTCUSD'));
      await engine.js.publish(bookSubject, JSON.stringify({ items: [{ nope: 1 }], ts: now }));
      await engine.js.publish(
        bookSubject,
        JSON.stringify({ items: [{ symbol: 'BTCUSD', id: 'BTCUSD', timestamp: 1e300, asks: [], bids: [] }], ts: now }),
      );
      const real = wireTrades(3);
      exchange.publish(TRADES_DT, 'lastTrade', BTC, real);
      const realPrices = real.map((t) => t.pr);
      const prices = (got: Got, from: number) => got.items.slice(from).map((t) => t['price']);
      await waitFor(() => realPrices.every((p) => prices(live, liveFrom).includes(p)), 'the real trades live', 10_000);
      await waitFor(() => realPrices.every((p) => prices(throttled, throttledFrom).includes(p)), 'the real trades throttled', 10_000);
      exchange.publish(BOOK_DT, 'orderBook', BTC, [{ ...bookItem, ts: Date.now(), bids: [{ pr: '98', v: '2' }] }]);
      await waitFor(() => book.items.some((b) => (b['bids'] as Array<{ price: string }>)[0]?.price === '98'), 'the next book', 10_000);

      // The valid trade beside a bad one came; nothing bad did, and no error.
      for (const got of [live, throttled]) {
        expect(errorsOf(got)).toEqual([]);
        expect(prices(got, 0)).toContain('7777');
        expect(prices(got, 0).filter((p) => !/^\d+$/.test(String(p)))).toEqual([]);
        expect(prices(got, 0)).not.toContain('1');
      }
      expect(errorsOf(book)).toEqual([]);
      expect(book.items.every((b) => b['symbol'] === 'BTCUSD')).toBe(true);

      const { samples } = await scrapeMetrics(app.port);
      const count = (reason: string) => sumOf(samples, BAD_METRIC, { reason });
      // null, 5, 'str', {foo}, the 1e300 trade, the bad-fields trade; the two bad books.
      expect(count('bad_item')).toBe(8);
      expect(count('not_envelope')).toBe(2);
      expect(count('bad_gap')).toBe(1);
      expect(count('failed')).toBe(0);
      const lines = logs.lines.filter((l) => l.msg === BAD_MESSAGE_LOG);
      expect(lines[0]?.obj).toMatchObject({ topic: 'futures:futuresTrades:BTCUSD', reason: 'bad_item', seq: expect.any(Number) });
    },
  );

  it('a resume and the trades Query page across the poison answer the real trades', { timeout: 60_000 }, async () => {
    const { exchange, app, engine, live } = await setUp();
    const from = live.items.at(-1);
    const cursor = String(from?.['cursor']);
    await poisonTrades(engine);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => live.items.length >= 2 + 2, 'the real trades live', 10_000);
    const realAfter = live.items.slice(live.items.indexOf(from ?? {}) + 1).map((t) => t['price']);
    expect(realAfter).toContain('7777');

    const resumed = follow(app, TRADES, 'futuresTrades', { after: cursor });
    await waitFor(() => realAfter.every((p) => resumed.items.some((t) => t['price'] === p)), 'the replay', 10_000);
    expect(errorsOf(resumed)).toEqual([]);

    const { body } = await postGraphQL(app.url, {
      query: `{ futuresTrades(symbol: "BTCUSD", after: "${cursor}", limit: 50) { price } }`,
    });
    expect(body['errors']).toBeUndefined();
    const page = (body['data'] as { futuresTrades: Array<{ price: string }> }).futuresTrades.map((t) => t.price);
    expect([...page].sort()).toEqual([...realAfter].map(String).sort());
    const newest = await postGraphQL(app.url, { query: '{ futuresTrades(symbol: "BTCUSD", limit: 50) { price } }' });
    expect(newest.body['errors']).toBeUndefined();
    expect(errorsOf(live)).toEqual([]);
  });
});
