/**
 * A deadline on every subscribe to the exchange (issue 22, hole 1), against the
 * scripted stand-in exchange: a subscribe the exchange never answers is sent
 * again after UPSTREAM_ACK_TIMEOUT_MS (logged, counted), an event stream that
 * was flowing says STREAM_INTERRUPTED once it is back, and `/ready` is not 200,
 * naming the topic, while a live topic stays unanswered past its deadline.
 * An unsubscribe has the same deadline once the exchange has shown that it
 * answers unsubscribes: a new subscribe of its topic waits for its answer, and
 * one the exchange never sends holds it no longer than UPSTREAM_ACK_TIMEOUT_MS
 * (logged, counted), so a new subscriber gets data. An exchange that never
 * answers unsubscribes costs a resubscribe no wait at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import type { Sink } from '../src/hub/sink.ts';
import { startUpstreamOnFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';
import { nextValue, wireTradeMaker } from './helpers/upstream-trades.ts';
import { disposeAll, sleep, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const INDEX_DT = 30;
const trades = CHANNELS.futuresTrades;
const index = CHANNELS.futuresIndexPrice;
const BTC = { symbol: 'BTCUSD' };
/** Scaled-down timings: the deadline, its re-send's backoff, and the wait of a subscriber for its ack. */
const FAST = { ackTimeoutMs: 300, ackRetryBackoff: () => 30, ackWaitMs: 50 };

const wireTrades = wireTradeMaker();

/** Whether an open socket of the exchange holds `n` subscriptions. */
const subscribedOnOpenSocket = (exchange: FakeExchange, n: number) =>
  exchange.connections.some((c) => c.socket.readyState === c.socket.OPEN && c.topics.size === n);

describe('a subscribe the exchange never answers', () => {
  it('is sent again after the deadline when two subscribes are swallowed on a healthy connection', async () => {
    const { exchange, upstream, logs } = await startUpstreamOnFakeExchange({}, FAST);
    exchange.swallowSubscribes(2);
    const tradeSub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    const indexSub = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await Promise.all([tradeSub.ready, indexSub.ready]);
    await waitFor(() => exchange.swallowed === 2, 'both subscribes swallowed');
    await waitFor(() => subscribedOnOpenSocket(exchange, 2), 'both subscribed after their re-send');

    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '100' }]);
    expect(await nextValue(tradeSub.events)).toHaveLength(2);
    expect(await nextValue(indexSub.events)).toMatchObject({ price: '100' });
    expect(upstream.status().ackTimeouts).toEqual([{ market: 'futures', count: 2 }]);
    expect(logs.text()).toContain('upstream left a subscription unanswered past UPSTREAM_ACK_TIMEOUT_MS; subscribing again');
    await tradeSub.events.return();
    await indexSub.events.return();
  });

  it('keeps /ready at 503 naming the topic while it stays unanswered, and 200 once answered', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({}, FAST);
    exchange.swallowSubscribes(1_000);
    const sub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await waitFor(() => upstream.readiness?.().ready === false, '/ready not ready');
    expect(upstream.ready()).toBe(false);
    expect(upstream.readiness?.()).toMatchObject({
      status: 'upstream degraded',
      reasons: [expect.stringMatching(/^futuresTrades BTCUSD: subscribe unanswered for \d+ ms \(past UPSTREAM_ACK_TIMEOUT_MS\)$/)],
    });
    exchange.swallowSubscribes(0);
    await waitFor(() => upstream.ready(), 'ready again once the re-send is answered');
    expect(upstream.readiness?.()).toEqual({ ready: true, status: 'ready', reasons: [] });
    await sub.events.return();
  });
});

describe('after an exchange silence', () => {
  it('resumes every stream (STREAM_INTERRUPTED on trades) when the silence lost the resubscribes, and serves a new subscriber', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange(
      {},
      { ...FAST, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 400, ackTimeoutMs: 600 },
    );
    const tradeSub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    const indexSub = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await Promise.all([tradeSub.ready, indexSub.ready]);
    await waitFor(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1)) > 0, 'trades flowing');
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '100' }]);
    expect(await nextValue(tradeSub.events)).toHaveLength(1);
    expect(await nextValue(indexSub.events)).toMatchObject({ price: '100' });

    // Silent until the reconnected socket has written both resubscribes; then back, heartbeats answered.
    exchange.silenceUntilLost(2);
    await waitFor(() => !upstream.ready(), 'not ready during the silence');
    await waitFor(() => exchange.swallowed === 2, 'the silence lost both resubscribes');
    await waitFor(() => subscribedOnOpenSocket(exchange, 2), 'subscribed again after the deadline');
    await waitFor(() => upstream.ready(), 'ready again');

    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '101' }]);
    expect(await nextValue(tradeSub.events, 'interruption')).toBeInstanceOf(StreamInterruption);
    expect(await nextValue(tradeSub.events, 'trades after')).toHaveLength(3);
    expect(await nextValue(indexSub.events, 'index after')).toMatchObject({ price: '101' });

    const late = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await late.ready;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    expect(await nextValue(late.events, 'late')).toHaveLength(2);
    await Promise.all([tradeSub.events.return(), indexSub.events.return(), late.events.return()]);
  });
});

describe('an unsubscribe the exchange never answers', () => {
  const subscribes = (exchange: FakeExchange) => exchange.requests.filter((r) => r.action === 'subscribe').length;
  type Upstream = Awaited<ReturnType<typeof startUpstreamOnFakeExchange>>['upstream'];

  /** The exchange answers one unsubscribe (of ETHUSD), and the gateway has read that answer. */
  async function unsubscribeAnswered(exchange: FakeExchange, upstream: Upstream): Promise<void> {
    const eth = upstream.subscribe(index, index.parseArgs({ symbol: 'ETHUSD' }, Date.now()), undefined);
    await eth.ready;
    await eth.events.return();
    await waitFor(() => exchange.requests.some((r) => r.action === 'unSubscribe'), 'the first unsubscribe written');
    // A later round trip on the same socket: the unsubscribe's answer was read before this acknowledgement.
    const sol = upstream.subscribe(index, index.parseArgs({ symbol: 'SOLUSD' }, Date.now()), undefined);
    await sol.ready;
    onDisposeReturn(sol.events);
  }
  const open: Sink<unknown>[] = [];
  const onDisposeReturn = (events: Sink<unknown>) => open.push(events);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((events) => events.return()));
  });

  it('costs a resubscribe no wait when the exchange answers no unsubscribe at all (its answers are inferred, not documented)', async () => {
    const { exchange, upstream, logs } = await startUpstreamOnFakeExchange(
      { reply: (request) => (request.action === 'unSubscribe' ? 'silence' : 'ack') },
      { ...FAST, ackTimeoutMs: 20_000 },
    );
    const first = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await first.ready;
    await first.events.return();
    await waitFor(() => exchange.requests.some((r) => r.action === 'unSubscribe'), 'the unsubscribe written, never answered');
    const before = subscribes(exchange);
    const again = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await waitFor(() => subscribes(exchange) > before, 'the new subscribe sent at once', 5_000);
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '103' }]);
    expect(await nextValue(again.events, 'data for the new subscriber')).toMatchObject({ price: '103' });
    expect(upstream.status().unsubscribeTimeouts ?? []).toEqual([]);
    expect(logs.text()).not.toContain('unanswered past UPSTREAM_ACK_TIMEOUT_MS');
    await again.events.return();
  });

  it('holds a new subscribe of its topic until the deadline at most, then takes it as closed (logged, counted) and serves the new subscriber', async () => {
    const { exchange, upstream, logs } = await startUpstreamOnFakeExchange({}, FAST);
    await unsubscribeAnswered(exchange, upstream);
    const first = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await first.ready;
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '100' }]);
    expect(await nextValue(first.events)).toMatchObject({ price: '100' });

    exchange.swallowUnsubscribes(1);
    await first.events.return();
    await waitFor(() => exchange.swallowedUnsubscribes === 1, 'the unsubscribe swallowed');
    const before = subscribes(exchange);
    const again = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await waitFor(() => subscribes(exchange) > before, 'the new subscribe sent after the deadline');
    // It went out only once the unsubscribe was taken as closed.
    expect(logs.text()).toContain('upstream left an unsubscribe unanswered past UPSTREAM_ACK_TIMEOUT_MS; taking its topics as closed');
    expect(upstream.status().unsubscribeTimeouts).toEqual([{ market: 'futures', count: 1 }]);

    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '101' }]);
    expect(await nextValue(again.events, 'data for the new subscriber')).toMatchObject({ price: '101' });
    expect(upstream.status().ackTimeouts ?? []).toEqual([]);
    await again.events.return();
  });

  it('sends the new subscribe once the exchange answers the unsubscribe, never before it, and counts nothing', async () => {
    let held = false;
    const subscribedAt: number[] = [];
    const { exchange, upstream } = await startUpstreamOnFakeExchange(
      {
        reply: (request) => {
          if (request.action === 'subscribe') subscribedAt.push(Date.now());
          return held && request.action === 'unSubscribe' ? 'silence' : 'ack';
        },
      },
      { ...FAST, ackTimeoutMs: 20_000 },
    );
    await unsubscribeAnswered(exchange, upstream);
    const first = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await first.ready;
    held = true;
    await first.events.return();
    await waitFor(() => exchange.requests.filter((r) => r.action === 'unSubscribe').length === 2, 'the unsubscribe written, unanswered');
    const again = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    // The exchange answers the unsubscribe a moment later.
    await sleep(200);
    const answeredAt = Date.now();
    for (const c of exchange.connections)
      if (c.url.startsWith('/futures') && c.socket.readyState === c.socket.OPEN)
        c.socket.send(JSON.stringify({ action: 'UNSUBSCRIBE', dataType: 'spotPrice', payload: BTC, result: 'success' }));
    await waitFor(() => subscribedAt.length === 4, 'the new subscribe');
    expect(subscribedAt[3]).toBeGreaterThanOrEqual(answeredAt);

    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '102' }]);
    expect(await nextValue(again.events, 'data for the new subscriber')).toMatchObject({ price: '102' });
    expect(upstream.status().unsubscribeTimeouts ?? []).toEqual([]);
    await again.events.return();
  });
});
