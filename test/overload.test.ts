/**
 * Overload without silent loss, end to end over real sockets: a client that
 * stops reading is ended alone (its trades subscription with an in-band
 * SUBSCRIBER_TOO_SLOW, then `complete`) while its socket, its other
 * subscriptions and every other client keep going and get every trade (and
 * Apollo Client sees the error as its subscription's error); one
 * large upstream frame closes nobody; and shutdown ends within a container's
 * 10 s stop window even with a client that stopped reading.
 */
import type { Socket } from 'node:net';
import { ApolloClient, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { disposeAll, sleep, startTestGateway, subscribedUpstream, waitFor, type TestGateway } from './helpers/gateway.ts';
import { stallableClient, type Message } from './helpers/stallable-ws.ts';

const MAX_BEHIND_MS = 1_000;
const TRADES = 'subscription($symbol: String!) { futuresTrades(symbol: $symbol) { symbol price volume side timestamp } }';
const BOOK = 'subscription($symbol: String!) { futuresOrderBook(symbol: $symbol) { symbol timestamp bids { price volume } } }';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: MAX_BEHIND_MS } } });
  gateway.simulator?.faults.pauseTopics(true);
});
afterAll(disposeAll);

let sequence = 0;
/** One upstream trades frame of `count` distinct trades. */
function tradeFrame(symbol: string, count: number): string {
  const d = Array.from({ length: count }, () => ({ sd: 1, pr: 0.5, s: symbol, v: 1, ts: 1685096426138 + sequence++ }));
  return JSON.stringify({ dt: 33, c: 20, d });
}
const bookFrame = (symbol: string, n: number) =>
  JSON.stringify({ dt: 32, c: 20, d: { s: symbol, ts: 1685092534839 + n, bids: [{ pr: '0.5', v: n }], asks: [{ pr: '0.51', v: 1 }] } });

const tradesIn = (messages: readonly Message[], id: string) =>
  messages.reduce((sum, m) => {
    const list = m.id === id && m.type === 'next' ? m.payload?.data?.['futuresTrades'] : undefined;
    return sum + (Array.isArray(list) ? list.length : 0);
  }, 0);
const errorCode = (m: Message) => m.payload?.errors?.[0]?.extensions?.['code'];

describe('a client that stops reading', () => {
  it(
    'is ended alone on its trades with SUBSCRIBER_TOO_SLOW, keeps its socket and its book, and a healthy client gets every trade',
    { timeout: 60_000 },
    async () => {
      const symbol = 'XRPUSD';
      const healthy = await stallableClient(gateway.wsUrl);
      const stalled = await stallableClient(gateway.wsUrl);
      const members = gateway.fanout.stats().members;
      healthy.subscribe('t', TRADES, { symbol });
      stalled.subscribe('t', TRADES, { symbol });
      stalled.subscribe('b', BOOK, { symbol });
      await waitFor(() => gateway.fanout.stats().members === members + 3, 'three members');
      await subscribedUpstream(gateway, 'lastTrade', symbol);
      stalled.pause();

      let sent = 0;
      for (let i = 0; i < 1_000 && gateway.fanout.stats().tooSlow === 0; i++) {
        gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        sent += 2_000;
        await sleep(10);
      }
      expect(gateway.fanout.stats().tooSlow).toBe(1);
      // The healthy client, on its own socket, gets every trade (merged or not): nothing lost.
      await waitFor(() => tradesIn(healthy.messages, 't') === sent, 'every trade at the healthy client', 30_000);
      expect(healthy.messages.some((m) => m.type === 'error' || errorCode(m) !== undefined)).toBe(false);

      stalled.resume();
      const ended = await stalled.waitFor((m) => m.id === 't' && errorCode(m) === 'SUBSCRIBER_TOO_SLOW');
      await stalled.waitFor((m) => m.id === 't' && m.type === 'complete');
      const after = stalled.messages.slice(stalled.messages.indexOf(ended) + 1);
      expect(after.filter((m) => m.id === 't' && m.type === 'next')).toEqual([]);
      // Its socket and its other subscription live on.
      expect(stalled.isOpen()).toBe(true);
      gateway.simulator?.sendRaw('futures', bookFrame(symbol, 7));
      await stalled.waitFor((m) => m.id === 'b' && m.type === 'next');
      expect(healthy.isOpen()).toBe(true);
    },
  );
});

describe('Apollo Client that stops reading', () => {
  it('sees SUBSCRIBER_TOO_SLOW as a GraphQL error of its subscription, which then completes', { timeout: 60_000 }, async () => {
    const symbol = 'SOLUSD';
    const sockets: Socket[] = [];
    /** The WebSocket Apollo's graphql-ws client uses, with its TCP socket kept so the test can stop reading it. */
    class PausableWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.on('upgrade', (response) => sockets.push(response.socket));
      }
    }
    const ws = createClient({ url: gateway.wsUrl, webSocketImpl: PausableWebSocket, retryAttempts: 0 });
    const apollo = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    const errors: string[] = [];
    let completed = false;
    const members = gateway.fanout.stats().members;
    const tooSlow = gateway.fanout.stats().tooSlow;
    const sub = apollo.subscribe({ query: parse(TRADES), variables: { symbol } }).subscribe({
      next: (result) => {
        if (result.error !== undefined) errors.push(`next: ${JSON.stringify(result.error)}`);
      },
      error: (error: unknown) => errors.push(`error: ${JSON.stringify(error)}`),
      complete: () => {
        completed = true;
      },
    });
    try {
      await waitFor(() => gateway.fanout.stats().members === members + 1, 'the member');
      for (const socket of sockets) socket.pause();
      for (let i = 0; i < 1_000 && gateway.fanout.stats().tooSlow === tooSlow; i++) {
        gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        await sleep(10);
      }
      expect(gateway.fanout.stats().tooSlow).toBe(tooSlow + 1);
      for (const socket of sockets) socket.resume();
      await waitFor(() => errors.some((e) => e.includes('SUBSCRIBER_TOO_SLOW')), 'the error at Apollo', 30_000);
      await waitFor(() => completed, 'the subscription to end', 10_000);
      // Apollo Client 4 hands it over as a result's `error` (CombinedGraphQLErrors), then completes.
      expect(errors.find((e) => e.includes('SUBSCRIBER_TOO_SLOW'))).toMatch(/^next: .*CombinedGraphQLErrors?/);
    } finally {
      sub.unsubscribe();
      await ws.dispose();
    }
  });
});

describe('one large upstream frame', () => {
  it('closes no healthy socket: every subscriber gets it and what follows', { timeout: 60_000 }, async () => {
    // The default bound (SLOW_SUBSCRIBER_MAX_BEHIND_MS): how a deployment meets a large frame.
    const gateway = await startTestGateway();
    gateway.simulator?.faults.pauseTopics(true);
    const symbol = 'DOGEUSD';
    const clients = await Promise.all(Array.from({ length: 3 }, () => stallableClient(gateway.wsUrl)));
    const members = gateway.fanout.stats().members;
    for (const client of clients) {
      client.subscribe('a', TRADES, { symbol });
      client.subscribe('b', TRADES, { symbol });
    }
    await waitFor(() => gateway.fanout.stats().members === members + 6, 'six members');
    await subscribedUpstream(gateway, 'lastTrade', symbol);
    // About 6 MB upstream, over 6 MB per GraphQL message: more than any socket buffer takes at once.
    gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 80_000));
    gateway.simulator?.sendRaw('futures', tradeFrame(symbol, 1));
    for (const client of clients)
      for (const id of ['a', 'b']) await waitFor(() => tradesIn(client.messages, id) === 80_001, `every trade for ${id}`, 40_000);
    expect(clients.every((c) => c.isOpen())).toBe(true);
    expect(clients.flatMap((c) => c.messages).some((m) => errorCode(m) !== undefined || m.type === 'complete')).toBe(false);
  });
});

describe('shutdown', () => {
  it('ends within the 10 s stop window even with a client that stopped reading', { timeout: 60_000 }, async () => {
    const own = await startTestGateway();
    own.simulator?.faults.pauseTopics(true);
    const stalled = await stallableClient(own.wsUrl);
    const members = own.fanout.stats().members;
    stalled.subscribe('t', TRADES, { symbol: 'XRPUSD' });
    await waitFor(() => own.fanout.stats().members === members + 1, 'the member');
    stalled.pause();
    for (let i = 0; i < 50; i++) own.simulator?.sendRaw('futures', tradeFrame('XRPUSD', 2_000));
    await sleep(200);
    const started = Date.now();
    await own.close();
    const took = Date.now() - started;
    expect(took).toBeLessThan(9_000);
  });
});
