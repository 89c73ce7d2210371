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
import { openFeed, type FeedMessage } from '../../src/sources/cluster/feed.ts';
import { GAP_HEADER } from '../../src/sources/cluster/gap-marker.ts';
import { checkMessages, type BadMessage } from '../../src/sources/cluster/message-check.ts';
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

/** Writes messages into a subject of the engine as a third party would: a body (JSON unless text), a gap header when given. */
function writer(engine: Engine, subject: string) {
  return (body: unknown, gap?: string) => {
    const h = headers();
    if (gap !== undefined) h.set(GAP_HEADER, gap);
    return engine.js.publish(subject, typeof body === 'string' ? body : JSON.stringify(body), gap === undefined ? {} : { headers: h });
  };
}

const tradesSubject = (engine: Engine) => engine.names.subject(clusterTopicOf(CHANNELS.futuresTrades, 'BTCUSD'));
const bookSubject = (engine: Engine) => engine.names.subject(clusterTopicOf(CHANNELS.futuresOrderBook, 'BTCUSD'));

const errorsOf = (got: Got) => got.errors.map((e) => e['code']);
const prices = (got: Got, from = 0) => got.items.slice(from).map((t) => String(t['price']));
const badCount = async (app: App, reason: string) => sumOf((await scrapeMetrics(app.port)).samples, BAD_METRIC, { reason });

/** A live book subscriber that has its first book, and a way to send the next one. */
async function followBook(exchange: FakeExchange, app: App) {
  const book = follow(app, BOOK, 'futuresOrderBook');
  const item = (bid: string) => ({ s: 'BTCUSD', ts: Date.now(), asks: [{ pr: '101', v: '1' }], bids: [{ pr: bid, v: '1' }] });
  await sendUntil(() => exchange.publish(BOOK_DT, 'orderBook', BTC, [item('99')]), book, 'a first book');
  const next = async (bid: string) => {
    exchange.publish(BOOK_DT, 'orderBook', BTC, [item(bid)]);
    await waitFor(() => book.items.some((b) => (b['bids'] as Array<{ price: string }>)[0]?.price === bid), `the book bid ${bid}`, 10_000);
  };
  return { book, next };
}

describe('poison in the engine', () => {
  it('one message of items that are no records crashes nothing: trades and book clients keep receiving', { timeout: 60_000 }, async () => {
    const { exchange, app, engine, logs, live } = await setUp();
    const { book, next } = await followBook(exchange, app);
    const from = live.items.length;
    const put = writer(engine, tradesSubject(engine));
    await put({ items: [null, 5, 'str'], ts: now });
    await put({ items: [{ foo: 1 }], ts: now });
    await writer(engine, bookSubject(engine))({ items: [{ nope: 1 }], ts: now });
    const real = wireTrades(3);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, real);
    await waitFor(() => real.every((t) => prices(live, from).includes(t.pr)), 'the real trades', 10_000);
    await next('98');
    expect(prices(live, from).sort()).toEqual(real.map((t) => t.pr).sort());
    expect(errorsOf(live)).toEqual([]);
    expect(errorsOf(book)).toEqual([]);
    // null, 5, 'str', {foo}; the book without fields.
    expect(await badCount(app, 'bad_item')).toBe(5);
    expect(await badCount(app, 'failed')).toBe(0);
    const line = logs.lines.find((l) => l.msg === BAD_MESSAGE_LOG);
    expect(line?.obj).toMatchObject({ topic: 'futures:futuresTrades:BTCUSD', reason: 'bad_item', seq: expect.any(Number) });
  });

  it(
    'one bad item wipes nothing: live (plain, throttled), a resume and the trades Query get the real trades; a forged gap marker is dropped',
    { timeout: 60_000 },
    async () => {
      const { exchange, app, engine, live } = await setUp();
      const throttled = follow(app, TRADES, 'futuresTrades', { throttleMs: 400 });
      const { book, next } = await followBook(exchange, app);
      const cursor = String(live.items.at(-1)?.['cursor']);
      const [liveFrom, throttledFrom] = [live.items.length, throttled.items.length];
      const put = writer(engine, tradesSubject(engine));
      // A valid trade beside one of the year 1e300 (it goes on alone), bad fields, no JSON, an envelope of 1e300, a marker of 1e300.
      await put({ items: [storedTrade('1', { timestamp: 1e300 }), storedTrade('7777')], ts: now });
      await put({ items: [storedTrade('2', { price: { a: 1 }, volume: [], side: 'NOPE' })], ts: now });
      await put('this is not json {');
      await put({ items: [storedTrade('3')], ts: 1e300 });
      await put({ since: 1e300, until: 1e301 }, 'UPSTREAM');
      await writer(
        engine,
        bookSubject(engine),
      )({ items: [{ symbol: 'BTCUSD', id: 'BTCUSD', timestamp: 1e300, asks: [], bids: [] }], ts: now });
      // Real trades in the same throttle window.
      const real = wireTrades(3);
      exchange.publish(TRADES_DT, 'lastTrade', BTC, real);
      const expected = ['7777', ...real.map((t) => t.pr)].sort();
      await waitFor(() => expected.every((p) => prices(live, liveFrom).includes(p)), 'the real trades live', 10_000);
      await waitFor(() => expected.every((p) => prices(throttled, throttledFrom).includes(p)), 'the real trades throttled', 10_000);
      await next('98');
      expect(prices(live, liveFrom).sort()).toEqual(expected);
      expect(prices(throttled, throttledFrom).sort()).toEqual(expected);

      const resumed = follow(app, TRADES, 'futuresTrades', { after: cursor });
      await waitFor(() => resumed.items.length >= expected.length, 'the replay', 10_000);
      const { body } = await postGraphQL(app.url, {
        query: `{ futuresTrades(symbol: "BTCUSD", after: "${cursor}", limit: 50) { price } }`,
      });
      expect(body['errors']).toBeUndefined();
      const page = (body['data'] as { futuresTrades: Array<{ price: string }> } | null)?.futuresTrades.map((t) => t.price);
      const newest = await postGraphQL(app.url, { query: '{ futuresTrades(symbol: "BTCUSD", limit: 50) { price } }' });
      expect(newest.body['errors']).toBeUndefined();
      await new Promise((r) => setTimeout(r, 200));
      expect(prices(resumed).sort()).toEqual(expected);
      expect(page?.sort()).toEqual(expected);
      for (const got of [live, throttled, resumed, book]) expect(errorsOf(got)).toEqual([]);
      // Live once, then the resume and the Query page read them again (the newest read too).
      expect(await badCount(app, 'bad_item')).toBeGreaterThanOrEqual(3);
      expect(await badCount(app, 'not_envelope')).toBeGreaterThanOrEqual(2);
      expect(await badCount(app, 'bad_gap')).toBeGreaterThanOrEqual(1);
      expect(await badCount(app, 'failed')).toBe(0);
    },
  );

  it("a state topic's first value (Direct Get) is checked too", async () => {
    const engine = await testEngine(engineSettings());
    const topic = clusterTopicOf(CHANNELS.futuresOrderBook, 'BTCUSD');
    await writer(engine, engine.names.subject(topic))({ items: [{ nope: 1 }], ts: now });
    const bad: BadMessage[] = [];
    const got: FeedMessage[] = [];
    const feed = await openFeed({
      js: engine.js,
      jsm: engine.jsm,
      names: engine.names,
      topic,
      check: checkMessages(CHANNELS.futuresOrderBook, topic.id, (b) => bad.push(b)),
      onMessage: (m) => got.push(m),
    });
    onDispose(() => feed.stop());
    expect(got).toEqual([]);
    expect(bad).toMatchObject([{ topic: topic.id, seq: 1, reason: 'bad_item', problem: 'OrderBook.symbol: missing' }]);
    const valid = { symbol: 'BTCUSD', id: 'BTCUSD', timestamp: now, asks: [], bids: [] };
    await writer(engine, engine.names.subject(topic))({ items: [valid], ts: now });
    await waitFor(() => got.length === 1, 'the valid book');
    expect(got[0]?.envelope?.items).toEqual([valid]);
  });
});
