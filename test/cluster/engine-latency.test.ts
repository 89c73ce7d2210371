/**
 * The engine hop measured by the replicas themselves: every message a holder
 * publishes carries the time it took the value from its upstream; a feed
 * hands that stamp on for what it receives live, not for what it replays from
 * before it opened (a cursor, a consumer recreated after the engine was
 * away); a replica observes the hop of each value and trade it reads, by topic
 * kind, in `coincall_gateway_cluster_engine_latency_seconds`. A single gateway
 * has the family without samples.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engineClock, HELD_AT_HEADER, heldAtOf } from '../../src/sources/cluster/engine-latency.ts';
import { openFeed, type FeedMessage } from '../../src/sources/cluster/feed.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import type { Engine } from '../../src/sources/cluster/engine.ts';
import { createMetrics } from '../../src/server/metrics/metrics.ts';
import { ENGINE_LATENCY_METRIC } from '../../src/server/metrics/cluster-metrics.ts';
import { engineSettings, testEngine, uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor, wsClient } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';
import { parsePrometheus, scrapeMetrics, sumOf } from '../helpers/prometheus.ts';
import { eventually } from '../helpers/replica-process.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TRADES: ClusterTopic = { id: 'options:optionTrades:{"symbol":"BTCUSD-1"}', kind: 'event', market: 'options' };
const BOOK: ClusterTopic = { id: 'options:optionOrderBook:{"symbol":"BTCUSD-1"}', kind: 'state', market: 'options' };
const idOf = (item: unknown) => (item as { id: string }).id;
const COUNT = `${ENGINE_LATENCY_METRIC}_count`;
const BOOK_DT = 32;
const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
/** How long a step of the cluster may take here (lease TTL 3 s). */
const STEP_MS = 15_000;

describe('the holder stamp', () => {
  it('travels with every value, trade and gap marker the publisher writes', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
    const heldAt = engineClock() - 5;
    const state = await publisher.publishState(BOOK, [{ v: 1 }], 1, 0, heldAt);
    await publisher.publishEvents(TRADES, [{ id: 't1' }], idOf, 1, heldAt);
    const gapSeq = await publisher.publishGap(TRADES, { since: 1, until: 2, reason: 'UPSTREAM' }, 'g1');
    const stored = await engine.jsm.direct.getMessage(engine.names.stateStream, { seq: state.seq });
    expect(stored?.header.get(HELD_AT_HEADER)).toBe(heldAt.toFixed(3));
    const trade = await engine.jsm.direct.getMessage(engine.names.eventStream, { next_by_subj: engine.names.subject(TRADES) });
    expect(heldAtOf(trade?.header)).toBeCloseTo(heldAt, 3);
    // Without a time of its own, a message is stamped when it is published.
    const gap = await engine.jsm.direct.getMessage(engine.names.eventStream, { seq: gapSeq });
    expect(heldAtOf(gap?.header)).toBeGreaterThan(heldAt);
  });
});

/** What a feed of `topic` (from after `after`, when given) delivers, as it comes. */
async function received(engine: Engine, topic: ClusterTopic, after?: number): Promise<FeedMessage[]> {
  const got: FeedMessage[] = [];
  const { js, jsm, names } = engine;
  const feed = await openFeed({ js, jsm, names, topic, ...(after === undefined ? {} : { after }), onMessage: (m) => got.push(m) });
  onDispose(() => feed.stop());
  return got;
}

describe('a feed', () => {
  it('hands on the stamp of what it receives live, not of what it replays from before it opened', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    await publisher.publishEvents(TRADES, [{ id: 'old' }], idOf, 1);
    const got = await received(engine, TRADES, 0);
    await waitFor(() => got.length === 1, 'the stored trade, replayed');
    await publisher.publishEvents(TRADES, [{ id: 'new' }], idOf, 2);
    await waitFor(() => got.length === 2, 'the live trade');
    expect(got.map((m) => [idOf(m.envelope?.items[0]), typeof m.heldAt])).toEqual([
      ['old', 'undefined'],
      ['new', 'number'],
    ]);
  });

  it("hands on no stamp with a state topic's latest value read on opening", async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    const first = await publisher.publishState(BOOK, [{ v: 1 }], 1, 0);
    const got = await received(engine, BOOK);
    await publisher.publishState(BOOK, [{ v: 2 }], 2, first.seq);
    await waitFor(() => got.length === 2, 'the next value');
    expect(got.map((m) => m.heldAt === undefined)).toEqual([true, false]);
  });
});

describe(ENGINE_LATENCY_METRIC, () => {
  it('counts the hop of each book value and trade a replica reads live, by kind', async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const a = await startInProcessReplica(exchange, name, 'a');
    const counts = async () => {
      const { samples } = await scrapeMetrics(a.port);
      return { state: sumOf(samples, COUNT, { kind: 'state' }), event: sumOf(samples, COUNT, { kind: 'event' }) };
    };
    expect(await counts()).toEqual({ state: 0, event: 0 });
    const client = wsClient(a.url.replace(/^http/, 'ws'));
    const seen = { books: 0, trades: 0 };
    const sink = { error: () => undefined, complete: () => undefined };
    client.subscribe(
      { query: 'subscription { futuresOrderBook(symbol: "BTCUSD") { bids { price } } }' },
      { ...sink, next: () => void seen.books++ },
    );
    client.subscribe({ query: 'subscription { futuresTrades(symbol: "BTCUSD") { id } }' }, { ...sink, next: () => void seen.trades++ });
    let n = 0;
    // Until the replica holds both topics and reads them back from the engine, frames may be published before its feeds open.
    await eventually(
      async () => {
        n++;
        exchange.publish(BOOK_DT, 'orderBook', BTC, [
          { s: 'BTCUSD', bids: [{ pr: String(60_000 + n), v: '1' }], asks: [{ pr: '70000', v: '1' }], ts: Date.now() },
        ]);
        exchange.publish(TRADES_DT, 'lastTrade', BTC, [{ s: 'BTCUSD', pr: String(60_000 + n), v: '0.1', sd: 1, ts: Date.now() }]);
        await new Promise((r) => setTimeout(r, 100));
        const now = await counts();
        return now.state > 0 && now.event > 0;
      },
      'the hop of a book value and of a trade observed',
      STEP_MS,
    );
    expect(seen.books).toBeGreaterThan(0);
    expect(seen.trades).toBeGreaterThan(0);
  });

  it('has no samples in a single gateway', async () => {
    const text = await createMetrics({ processMetrics: false }).render();
    expect(text).toContain(`# TYPE ${ENGINE_LATENCY_METRIC} histogram`);
    expect(parsePrometheus(text).filter((s) => s.name.startsWith(ENGINE_LATENCY_METRIC))).toEqual([]);
  });
});
