/**
 * `coincall_gateway_delivery_latency_seconds` measures from the exchange's
 * frame `ts` to the socket write, on every transport: a shared graphql-ws
 * group, an unshared graphql-ws subscription, SSE and multipart. A value that
 * waits in the gateway (a throttle window, a stalled client's backlog) is
 * observed when it is written, with the time it waited, not when its frame
 * arrived; a replayed latest value is not a fresh frame and is not observed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import {
  disposeAll,
  postStreaming,
  sleep,
  sse,
  startTestGateway,
  subscribedUpstream,
  waitFor,
  wsClient,
  type TestGateway,
} from './helpers/gateway.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';
import { stallableClient } from './helpers/stallable-ws.ts';

const FAMILY = 'coincall_gateway_delivery_latency_seconds';
const FIELD = 'futuresOrderBook';
const BOOK =
  'subscription($symbol: String!, $throttleMs: Int) { futuresOrderBook(symbol: $symbol, throttleMs: $throttleMs) { symbol bids { volume } } }';
const TRADES = 'subscription($symbol: String!) { futuresTrades(symbol: $symbol) { price } }';
/** How old the exchange says a frame is: far above anything the gateway adds on a loaded machine. */
const FRAME_AGE_MS = 3_000;

/** A futures book frame in the live form, stamped `ts` by the exchange at frame level. */
const bookFrame = (symbol: string, volume: number, ts: number) =>
  JSON.stringify({ dt: 32, c: 20, ts, d: { s: symbol, ts, bids: [{ pr: '0.5', v: volume }], asks: [{ pr: '0.51', v: 1 }] } });
let tradeSequence = 0;
/** A trades frame of `count` distinct trades, without a frame `ts`. */
const tradeFrame = (symbol: string, count: number) =>
  JSON.stringify({
    dt: 33,
    c: 20,
    d: Array.from({ length: count }, () => ({ sd: 1, pr: 0.5, s: symbol, v: 1, ts: 1685096426138 + tradeSequence++ })),
  });

/** The book histogram: how many observations, and how many at or under `le` seconds. */
async function bookLatency(gateway: TestGateway, le: string): Promise<{ count: number; under: number }> {
  const { samples } = await scrapeMetrics(gateway.port);
  return {
    count: sumOf(samples, `${FAMILY}_count`, { channel: FIELD }),
    under: sumOf(samples, `${FAMILY}_bucket`, { channel: FIELD, le }),
  };
}

let shared: TestGateway;
let standard: TestGateway;
beforeAll(async () => {
  [shared, standard] = await Promise.all([
    startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: 60_000 } } }),
    startTestGateway({ sharedSubscriptions: false }),
  ]);
  shared.simulator?.faults.pauseTopics(true);
  standard.simulator?.faults.pauseTopics(true);
});
afterAll(disposeAll);

/** Subscribes on one transport, sends one frame `FRAME_AGE_MS` old once the exchange holds the topic, and waits for it. */
async function oneOldFrame(gateway: TestGateway, symbol: string, open: (onEvent: () => void) => Promise<unknown>): Promise<void> {
  let received = 0;
  const done = open(() => received++);
  await subscribedUpstream(gateway, 'orderBook', symbol);
  gateway.simulator?.sendRaw('futures', bookFrame(symbol, 1, Date.now() - FRAME_AGE_MS));
  await waitFor(() => received >= 1, `the ${symbol} book`);
  await done;
}

describe('the delivery latency histogram', () => {
  it.each([
    ['a shared graphql-ws group', 'ws', 'XRPUSD'],
    ['an unshared graphql-ws subscription', 'ws-standard', 'SOLUSD'],
    ['SSE', 'sse', 'ETHUSD'],
    ['multipart', 'multipart', 'BTCUSD'],
  ] as const)('observes the frame ts to the write on %s', { timeout: 30_000 }, async (_name, transport, symbol) => {
    const gateway = transport === 'ws-standard' ? standard : shared;
    const before = await bookLatency(gateway, '2.5');
    const variables = { symbol };
    await oneOldFrame(gateway, symbol, async (onEvent) => {
      if (transport === 'sse') return sse(gateway.url, { query: BOOK, variables }, 1, {}, 8_000, onEvent);
      if (transport === 'multipart')
        return postStreaming(gateway.url, 'multipart/mixed;subscriptionSpec="1.0", application/json', { query: BOOK, variables }, (body) =>
          body.includes('"bids"'),
        ).then(onEvent);
      const client = wsClient(gateway.wsUrl);
      const iterator = client.iterate({ query: BOOK, variables });
      await iterator.next();
      onEvent();
      await iterator.return?.();
    });
    const after = await bookLatency(gateway, '2.5');
    // One observation, and it is the frame's age: above 2.5 s.
    expect(after.count - before.count).toBe(1);
    expect(after.under - before.under).toBe(0);
  });

  it('observes a throttled value when its window writes it, not when its frame arrived', { timeout: 30_000 }, async () => {
    const symbol = 'DOGEUSD';
    const windowMs = 2_000;
    const before = await bookLatency(shared, '1');
    const client = wsClient(shared.wsUrl);
    const iterator = client.iterate({ query: BOOK, variables: { symbol, throttleMs: windowMs } });
    const first = iterator.next();
    await subscribedUpstream(shared, 'orderBook', symbol);
    shared.simulator?.sendRaw('futures', bookFrame(symbol, 1, Date.now()));
    await first;
    // Fresh when it arrives; the window holds it until its end, about 2 s after the first.
    shared.simulator?.sendRaw('futures', bookFrame(symbol, 2, Date.now()));
    await iterator.next();
    await iterator.return?.();
    const after = await bookLatency(shared, '1');
    expect(after.count - before.count).toBe(2);
    // The first went out at once; the second waited for its window: at most one write under 1 s.
    expect(after.under - before.under).toBeLessThanOrEqual(1);
  });

  it(
    'observes a stalled client\u2019s held book when its socket finally takes it, with the time it was held',
    { timeout: 60_000 },
    async () => {
      const symbol = 'SOLUSD';
      const heldMs = 1_500;
      const stalled = await stallableClient(shared.wsUrl);
      const members = shared.fanout.stats().members;
      stalled.subscribe('b', BOOK, { symbol });
      stalled.subscribe('t', TRADES, { symbol });
      await waitFor(() => shared.fanout.stats().members === members + 2, 'two members');
      await subscribedUpstream(shared, 'orderBook', symbol);
      await subscribedUpstream(shared, 'lastTrade', symbol);
      stalled.pause();
      // Trades until the socket is backed up: its messages are held (and merged) from then on.
      const merged = shared.fanout.stats().merged;
      for (let i = 0; i < 1_000 && shared.fanout.stats().merged === merged; i++) {
        shared.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        await sleep(10);
      }
      expect(shared.fanout.stats().merged).toBeGreaterThan(merged);
      const before = await bookLatency(shared, '1');
      shared.simulator?.sendRaw('futures', bookFrame(symbol, 9, Date.now()));
      // The book is held while the client does not read: the time measured here.
      await sleep(heldMs);
      expect((await bookLatency(shared, '1')).count).toBe(before.count);
      stalled.resume();
      await stalled.waitFor((m) => m.id === 'b' && m.type === 'next', 30_000);
      const after = await bookLatency(shared, '1');
      expect(after.count - before.count).toBe(1);
      expect(after.under - before.under).toBe(0);
    },
  );

  it('does not observe the latest book replayed to a late subscriber', { timeout: 30_000 }, async () => {
    // Unshared: each subscriber has its own execution, and the late one is served the topic's latest value at once.
    const symbol = 'XRPUSD';
    const first = wsClient(standard.wsUrl).iterate({ query: BOOK, variables: { symbol } });
    const firstBook = first.next();
    await subscribedUpstream(standard, 'orderBook', symbol);
    standard.simulator?.sendRaw('futures', bookFrame(symbol, 1, Date.now() - FRAME_AGE_MS));
    await firstBook;
    const before = await bookLatency(standard, '2.5');
    const late = wsClient(standard.wsUrl).iterate({ query: BOOK, variables: { symbol } });
    await late.next();
    const after = await bookLatency(standard, '2.5');
    expect(after.count).toBe(before.count);
    await Promise.all([first.return?.(), late.return?.()]);
  });
});
