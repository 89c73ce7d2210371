/**
 * Issue 22, hole 4: the graphql-ws keepalive never kills a slow reader
 * silently. A client that stops reading past the keepalive (short intervals
 * injected) has its subscriptions ended in band with SUBSCRIBER_TOO_SLOW,
 * state ones included, then its socket closed with 1013 and a reason: when it
 * reads again it finds both, never a bare 1006, on the shared path and off it
 * (graphql-ws's own, whose loop waits on a write the socket never takes).
 * Meanwhile the delivery lag (age of the oldest held message) shows in `/metrics`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { STUCK_SOCKETS_METRIC, STUCK_SUBSCRIPTIONS_METRIC, SUBSCRIBER_LAG_METRIC } from '../src/server/metrics/lag-metrics.ts';
import { disposeAll, sleep, startTestGateway, subscribedUpstream, waitFor } from './helpers/gateway.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';
import { stallableClient, type Message } from './helpers/stallable-ws.ts';

afterEach(disposeAll);

const KEEPALIVE_MS = 400;
const TRADES = 'subscription($symbol: String!) { futuresTrades(symbol: $symbol) { symbol price volume side timestamp } }';
const BOOK = 'subscription($symbol: String!) { futuresOrderBook(symbol: $symbol) { symbol timestamp } }';
let sequence = 0;
function tradeFrame(symbol: string, count: number): string {
  const d = Array.from({ length: count }, () => ({ sd: 1, pr: 0.5, s: symbol, v: 1, ts: 1685096426138 + sequence++ }));
  return JSON.stringify({ dt: 33, c: 20, d });
}
const errorCode = (m: Message) => m.payload?.errors?.[0]?.extensions?.['code'];

describe('a graphql-ws client that stops reading past the keepalive', () => {
  it(
    'gets SUBSCRIBER_TOO_SLOW in band on every subscription, then a 1013 close with a reason, never a silent 1006',
    { timeout: 60_000 },
    async () => {
      // The backlog's own bound is far away: only the keepalive can act here.
      const gateway = await startTestGateway({
        config: { limits: { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: 300_000 } },
        wsKeepAliveMs: KEEPALIVE_MS,
      });
      gateway.simulator?.faults.pauseTopics(true);
      const symbol = 'XRPUSD';
      const stalled = await stallableClient(gateway.wsUrl);
      const members = gateway.fanout.stats().members;
      stalled.subscribe('t', TRADES, { symbol });
      stalled.subscribe('b', BOOK, { symbol });
      await waitFor(() => gateway.fanout.stats().members === members + 2, 'two members');
      await subscribedUpstream(gateway, 'lastTrade', symbol);
      stalled.pause();
      // Fill the socket's buffers until the gateway holds messages for it.
      for (let i = 0; i < 200 && gateway.fanout.maxLagMs() === 0; i++) {
        gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        await sleep(10);
      }
      await waitFor(() => gateway.fanout.stats().tooSlow === 2, 'both subscriptions ended as stuck', 20_000);
      await waitFor(() => gateway.logs.lines.some((l) => l.msg === 'graphql-ws socket stuck: closed'), 'the socket closed', 20_000);
      const { samples } = await scrapeMetrics(gateway.port);
      expect(sumOf(samples, STUCK_SOCKETS_METRIC)).toBe(1);

      stalled.resume();
      for (const id of ['t', 'b']) {
        await stalled.waitFor((m) => m.id === id && errorCode(m) === 'SUBSCRIBER_TOO_SLOW');
        await stalled.waitFor((m) => m.id === id && m.type === 'complete');
      }
      expect(await stalled.closed).toBe(1013);
    },
  );

  it('reports the delivery lag in /metrics while a socket is backed up', { timeout: 60_000 }, async () => {
    // The keepalive cannot act within the test (a minute): the backlog stays until it is read.
    const gateway = await startTestGateway({
      config: { limits: { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: 300_000 } },
      wsKeepAliveMs: 60_000,
    });
    gateway.simulator?.faults.pauseTopics(true);
    const symbol = 'ETHUSD';
    const stalled = await stallableClient(gateway.wsUrl);
    const members = gateway.fanout.stats().members;
    stalled.subscribe('t', TRADES, { symbol });
    await waitFor(() => gateway.fanout.stats().members === members + 1, 'the member');
    await subscribedUpstream(gateway, 'lastTrade', symbol);
    stalled.pause();
    for (let i = 0; i < 200 && gateway.fanout.maxLagMs() === 0; i++) {
      gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
      await sleep(10);
    }
    const backedUp = await scrapeMetrics(gateway.port);
    expect(sumOf(backedUp.samples, SUBSCRIBER_LAG_METRIC)).toBeGreaterThan(0);
    stalled.resume();
    await waitFor(() => gateway.fanout.maxLagMs() === 0, 'the backlog read');
  });

  it('keeps a slow reader that reads in bursts', { timeout: 60_000 }, async () => {
    const gateway = await startTestGateway({
      config: { limits: { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: 300_000 } },
      wsKeepAliveMs: KEEPALIVE_MS,
    });
    gateway.simulator?.faults.pauseTopics(true);
    const symbol = 'SOLUSD';
    const slow = await stallableClient(gateway.wsUrl);
    const members = gateway.fanout.stats().members;
    slow.subscribe('t', TRADES, { symbol });
    await waitFor(() => gateway.fanout.stats().members === members + 1, 'the member');
    await subscribedUpstream(gateway, 'lastTrade', symbol);
    // It reads in short bursts (paused most of the time) while trades pour in: behind, but never stuck for a round.
    const started = Date.now();
    while (Date.now() - started < 8 * KEEPALIVE_MS) {
      slow.pause();
      for (let i = 0; i < 5; i++) gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
      await sleep(KEEPALIVE_MS / 3);
      slow.resume();
      await sleep(30);
    }
    slow.resume();
    expect(slow.isOpen()).toBe(true);
    expect(slow.messages.some((m) => errorCode(m) !== undefined)).toBe(false);
    expect(gateway.fanout.stats().tooSlow).toBe(0);
  });
});

describe('a graphql-ws client that stops reading, its subscriptions off the shared path', () => {
  it(
    'gets SUBSCRIBER_TOO_SLOW in band on each of them, then a 1013 close with a reason, and the operator sees both',
    { timeout: 60_000 },
    async () => {
      // Sharing off: every subscription runs on graphql-ws's own path (as a resume with `after` does).
      const gateway = await startTestGateway({
        config: { limits: { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: 300_000 } },
        wsKeepAliveMs: KEEPALIVE_MS,
        sharedSubscriptions: false,
      });
      gateway.simulator?.faults.pauseTopics(true);
      const symbol = 'DOGEUSD';
      const stalled = await stallableClient(gateway.wsUrl);
      stalled.subscribe('t', TRADES, { symbol });
      stalled.subscribe('b', BOOK, { symbol });
      await subscribedUpstream(gateway, 'lastTrade', symbol);
      await subscribedUpstream(gateway, 'orderBook', symbol);
      expect(gateway.fanout.stats().members).toBe(0);
      stalled.pause();
      // Trades pour in until the socket's buffers are full: graphql-ws's own loop then waits on a write.
      for (let i = 0; i < 40; i++) {
        gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        await sleep(10);
      }
      await waitFor(() => gateway.logs.lines.some((l) => l.msg === 'graphql-ws socket stuck: closed'), 'the socket closed', 20_000);
      const ended = gateway.logs.lines.find((l) => l.msg === 'graphql-ws socket stuck: its subscriptions ended with SUBSCRIBER_TOO_SLOW');
      expect(ended?.obj).toMatchObject({ subscriptions: 2 });
      const { samples } = await scrapeMetrics(gateway.port);
      expect(sumOf(samples, STUCK_SUBSCRIPTIONS_METRIC)).toBe(2);
      expect(sumOf(samples, STUCK_SOCKETS_METRIC)).toBe(1);

      stalled.resume();
      for (const id of ['t', 'b']) {
        await stalled.waitFor((m) => m.id === id && errorCode(m) === 'SUBSCRIBER_TOO_SLOW');
        await stalled.waitFor((m) => m.id === id && m.type === 'complete');
      }
      expect(await stalled.closed).toBe(1013);
      // Nothing follows a subscription's `complete`.
      for (const id of ['t', 'b']) {
        const completeAt = stalled.messages.findIndex((m) => m.id === id && m.type === 'complete');
        expect(stalled.messages.slice(completeAt + 1).filter((m) => m.id === id)).toEqual([]);
      }
      // The upstream subscriptions were released with the operations.
      await waitFor(() => gateway.simulator?.activeSubscriptions().some((s) => s.payload?.['symbol'] === symbol) !== true, 'released');
    },
  );
});
