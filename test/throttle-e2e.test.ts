/**
 * `throttleMs` end to end, on each transport: over graphql-ws (the real
 * client, and Apollo Client) identical throttled subscriptions share one
 * execution and one timer and get the first book at once and the latest at
 * the window's end; over SSE a window's trades arrive in one list, newest
 * first; values outside 50..60000 are refused with BAD_USER_INPUT, and fills
 * and orders take no `throttleMs`.
 */
import { ApolloClient, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_THROTTLE_MS, MIN_THROTTLE_MS } from '../src/channels/args.ts';
import {
  disposeAll,
  sleep,
  sse,
  startTestGateway,
  subscribedUpstream,
  take,
  waitFor,
  wsClient,
  type TestGateway,
} from './helpers/gateway.ts';
import { stallableClient } from './helpers/stallable-ws.ts';

/** Generous: the window must hold a whole burst even on a busy machine. */
const WINDOW_MS = 1_500;
const BOOK =
  'subscription($symbol: String!, $throttleMs: Int) { futuresOrderBook(symbol: $symbol, throttleMs: $throttleMs) { symbol timestamp bids { price volume } } }';
const TRADES =
  'subscription($symbol: String!, $throttleMs: Int) { futuresTrades(symbol: $symbol, throttleMs: $throttleMs) { symbol price timestamp } }';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
  gateway.simulator?.faults.pauseTopics(true);
});
afterAll(disposeAll);

const book = (symbol: string, n: number) =>
  JSON.stringify({ dt: 32, c: 20, d: { s: symbol, ts: 1685092534839 + n, bids: [{ pr: '0.5', v: n }], asks: [{ pr: '0.51', v: 1 }] } });
const trades = (symbol: string, from: number, count: number) =>
  JSON.stringify({
    dt: 33,
    c: 20,
    d: Array.from({ length: count }, (_, i) => ({ sd: 1, pr: 0.5, s: symbol, v: 1, ts: 1685096426138 + from + i })),
  });
const volumeOf = (data: unknown) =>
  Number((data as { futuresOrderBook: { bids: Array<{ volume: string }> } }).futuresOrderBook.bids[0]?.volume);

describe('throttleMs over graphql-ws', () => {
  it(
    'shares one execution per window among identical subscriptions: the first book at once, then only the latest',
    { timeout: 30_000 },
    async () => {
      const symbol = 'XRPUSD';
      const clients = await Promise.all(Array.from({ length: 3 }, () => stallableClient(gateway.wsUrl)));
      const before = gateway.fanout.stats();
      clients.forEach((c) => c.subscribe('1', BOOK, { symbol, throttleMs: WINDOW_MS }));
      await waitFor(() => gateway.fanout.stats().members === before.members + 3, 'three members');
      expect(gateway.fanout.stats().groups).toBe(before.groups + 1);
      await subscribedUpstream(gateway, 'orderBook', symbol);
      for (let n = 1; n <= 10; n++) gateway.simulator?.sendRaw('futures', book(symbol, n));
      const nexts = (c: (typeof clients)[number]) => c.messages.filter((m) => m.type === 'next').map((m) => volumeOf(m.payload?.data));
      await waitFor(() => clients.every((c) => nexts(c).length >= 1), 'the first book at once');
      await waitFor(() => clients.every((c) => nexts(c).length >= 2), 'the latest at the window end', 3 * WINDOW_MS);
      await sleep(WINDOW_MS + 200);
      for (const client of clients) expect(nexts(client)).toEqual([1, 10]);
      expect(gateway.fanout.stats().executions - before.executions).toBe(2);
    },
  );

  it('works the same under Apollo Client', { timeout: 30_000 }, async () => {
    const symbol = 'SOLUSD';
    const ws = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const apollo = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    const seen: number[] = [];
    const sub = apollo.subscribe({ query: parse(BOOK), variables: { symbol, throttleMs: WINDOW_MS } }).subscribe({
      next: (result) => {
        if (result.data) seen.push(volumeOf(result.data));
      },
    });
    try {
      const members = gateway.fanout.stats().members;
      await waitFor(() => gateway.fanout.stats().members === members + 1, 'the member');
      for (let n = 1; n <= 5; n++) gateway.simulator?.sendRaw('futures', book(symbol, n));
      await waitFor(() => seen.length >= 2, 'two books', 3 * WINDOW_MS);
      expect(seen).toEqual([1, 5]);
    } finally {
      sub.unsubscribe();
      await ws.dispose();
    }
  });

  it.each([1, MIN_THROTTLE_MS - 1, MAX_THROTTLE_MS + 1, -5])('refuses throttleMs %i with BAD_USER_INPUT', async (throttleMs) => {
    const [result] = await take(wsClient(gateway.wsUrl), { query: BOOK, variables: { symbol: 'BTCUSD', throttleMs } }, 1);
    expect(result?.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(result?.errors?.[0]?.message).toContain('throttleMs');
  });

  it('is not an argument of fills or orders', async () => {
    const [result] = await take(wsClient(gateway.wsUrl), { query: 'subscription { futuresFills(throttleMs: 100) { symbol } }' }, 1);
    expect(result?.errors?.[0]?.message).toMatch(/Unknown argument "throttleMs"/);
  });
});

describe('throttleMs over SSE', () => {
  it('delivers every trade of a window in one list at its end, newest first', { timeout: 30_000 }, async () => {
    const symbol = 'DOGEUSD';
    const received = sse(gateway.url, { query: TRADES, variables: { symbol, throttleMs: WINDOW_MS } }, 1, {}, 4 * WINDOW_MS);
    await subscribedUpstream(gateway, 'lastTrade', symbol);
    gateway.simulator?.sendRaw('futures', trades(symbol, 0, 2));
    gateway.simulator?.sendRaw('futures', trades(symbol, 2, 3));
    const [event] = (await received) as Array<{ data: { futuresTrades: Array<{ timestamp: string }> } }>;
    const times = event?.data.futuresTrades.map((t) => Date.parse(t.timestamp)) ?? [];
    expect(times).toHaveLength(5);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});
