/**
 * What real clients see on an upstream outage: the whole gateway over the
 * scripted stand-in exchange, its upstream socket killed while trades flow.
 * An event subscription gets one result with a STREAM_INTERRUPTED error
 * (`data: null`, `extensions.since`/`until`), in order between the trades
 * before and after, and the subscription goes on: over graphql-ws, over SSE,
 * and through Apollo Client 4 (`client.subscribe` over GraphQLWsLink), with
 * its default errorPolicy and with `all`. `Subscription.status` emits at once
 * and again when an upstream connection changes state.
 */
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient, type FormattedExecutionResult } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FakeExchange } from './helpers/fake-exchange.ts';
import { startGatewayOnFakeExchange } from './helpers/gateway-on-fake.ts';
import { disposeAll, onDispose, sse, take, waitFor, wsClient } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { id price } }';

let seq = 0;
const wireTrades = (n: number) =>
  Array.from({ length: n }, () => {
    seq++;
    return { s: 'BTCUSD', pr: String(60_000 + seq), v: '0.1', sd: 1, ts: 1_700_000_000_000 + seq };
  });

/** The gateway over a fresh fake exchange that answers a subscribe with `replayOnSubscribe` recent trades. */
const gatewayOnFake = (replayOnSubscribe = 0) => startGatewayOnFakeExchange({ replayOnSubscribe });

const subscribes = (exchange: FakeExchange) =>
  exchange.requests.filter((r) => r.action === 'subscribe' && r.dataType === 'lastTrade').length;
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const live = (exchange: FakeExchange) =>
  exchange.connections.some((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY));
/** Publishes a frame of `n` trades once the topic is subscribed on a live socket (the fake remembers what it publishes). */
async function publishWhenLive(exchange: FakeExchange, n: number): Promise<void> {
  await waitFor(() => live(exchange), 'the trades topic live upstream');
  expect(exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(n))).toBe(1);
}

/** Drives the outage: one frame, the socket killed, the resubscribe awaited, one more frame. */
async function outage(exchange: FakeExchange, received: () => number): Promise<void> {
  await publishWhenLive(exchange, 2);
  await waitFor(() => received() >= 1, 'the first trades');
  const before = subscribes(exchange);
  exchange.dropAll();
  await waitFor(() => subscribes(exchange) > before, 'the resubscribe after the drop');
  await waitFor(() => received() >= 2, 'the interruption signal');
  await publishWhenLive(exchange, 3);
}

interface Interruption {
  readonly data?: unknown;
  readonly errors?: ReadonlyArray<{ readonly extensions?: Record<string, unknown> }>;
}
function expectInterruption(result: Interruption): void {
  expect(result.data ?? null).toBeNull();
  const ext = result.errors?.[0]?.extensions ?? {};
  expect(ext['code']).toBe('STREAM_INTERRUPTED');
  const since = Date.parse(String(ext['since']));
  const until = Date.parse(String(ext['until']));
  expect(Number.isFinite(since) && Number.isFinite(until)).toBe(true);
  expect(until).toBeGreaterThanOrEqual(since);
}

const tradeCount = (result: unknown): number => {
  const list = (result as { data?: { futuresTrades?: unknown[] } | null }).data?.futuresTrades;
  return Array.isArray(list) ? list.length : -1;
};

describe('the interruption signal, as clients see it', () => {
  it('graphql-ws: a `next` with the error between the trades, and the subscription goes on', async () => {
    const { gateway, exchange } = await gatewayOnFake();
    const client = wsClient(gateway.wsUrl);
    const results: Array<FormattedExecutionResult<Record<string, unknown>>> = [];
    let ended = '';
    client.subscribe(
      { query: TRADES },
      {
        next: (r) => void results.push(r as FormattedExecutionResult<Record<string, unknown>>),
        error: () => (ended = 'error'),
        complete: () => (ended = 'complete'),
      },
    );
    await outage(exchange, () => results.length);
    await waitFor(() => results.length >= 3, 'the trades after the outage');
    expect(tradeCount(results[0])).toBe(2);
    expectInterruption(results[1] as Interruption);
    expect(tradeCount(results[2])).toBe(3);
    expect(ended).toBe('');
  });

  it('SSE: the same three results, in order, on one stream', async () => {
    const { gateway, exchange } = await gatewayOnFake();
    let count = 0;
    let delivered = 0;
    const reading = sse(gateway.url, { query: TRADES }, 3, {}, undefined, () => delivered++).then(
      (events) => ((count = events.length), events),
    );
    await publishWhenLive(exchange, 2);
    const before = subscribes(exchange);
    await waitFor(() => delivered === 1, 'the first trades delivered');
    exchange.dropAll();
    await waitFor(() => subscribes(exchange) > before, 'the resubscribe after the drop');
    await publishWhenLive(exchange, 3);
    const events = await reading;
    expect(count).toBe(3);
    expect(tradeCount(events[0])).toBe(2);
    expectInterruption(events[1] as Interruption);
    expect(tradeCount(events[2])).toBe(3);
  });

  for (const errorPolicy of ['none', 'all'] as const) {
    it(`Apollo Client 4 (client.subscribe over GraphQLWsLink, errorPolicy ${errorPolicy}): the error arrives as a value and the subscription goes on`, async () => {
      const { gateway, exchange } = await gatewayOnFake();
      const wsLink = new GraphQLWsLink(createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 }));
      const apollo = new ApolloClient({ link: wsLink, cache: new InMemoryCache() });
      onDispose(() => apollo.stop());
      const values: Array<{ data: unknown; error: unknown }> = [];
      let ended = '';
      const subscription = apollo.subscribe({ query: gql(TRADES), errorPolicy }).subscribe({
        next: (v) => void values.push({ data: v.data, error: v.error }),
        error: () => (ended = 'error'),
        complete: () => (ended = 'complete'),
      });
      onDispose(() => subscription.unsubscribe());
      await outage(exchange, () => values.length);
      await waitFor(() => values.length >= 3, 'the trades after the outage');
      expect(tradeCount({ data: values[0]?.data })).toBe(2);
      const error = values[1]?.error as { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> } | undefined;
      expect(error?.errors?.[0]?.extensions?.['code']).toBe('STREAM_INTERRUPTED');
      expect(values[1]?.data ?? null).toBeNull();
      expect(tradeCount({ data: values[2]?.data })).toBe(3);
      expect(values[2]?.error).toBeUndefined();
      expect(ended).toBe('');
    });
  }
});

describe('order and no duplicates when the exchange re-sends right after its acknowledgement', () => {
  /**
   * Trades made while the socket was down are re-sent with the two already
   * delivered, in the frame right behind the acknowledgement: the signal and
   * that frame are produced in the same instant.
   */
  async function resendOutage(exchange: FakeExchange, firstSeen: () => boolean): Promise<void> {
    await publishWhenLive(exchange, 2);
    await waitFor(firstSeen, 'the first trades');
    exchange.dropAll();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
  }

  it('graphql-ws: the signal, then only the three new trades', async () => {
    const { gateway, exchange } = await gatewayOnFake(5);
    const client = wsClient(gateway.wsUrl);
    const results: Array<FormattedExecutionResult<Record<string, unknown>>> = [];
    client.subscribe(
      { query: TRADES },
      {
        next: (r) => void results.push(r as FormattedExecutionResult<Record<string, unknown>>),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await resendOutage(exchange, () => results.length >= 1);
    await waitFor(() => results.length >= 3, 'signal and new trades');
    expect(tradeCount(results[0])).toBe(2);
    expectInterruption(results[1] as Interruption);
    expect(tradeCount(results[2])).toBe(3);
    const ids = results.flatMap((r) => ((r.data?.['futuresTrades'] as Array<{ id: string }> | undefined) ?? []).map((t) => t.id));
    expect(new Set(ids).size).toBe(5);
  });

  it('SSE: the signal, then only the three new trades', async () => {
    const { gateway, exchange } = await gatewayOnFake(5);
    let delivered = 0;
    const reading = sse(gateway.url, { query: TRADES }, 3, {}, undefined, () => delivered++);
    await publishWhenLive(exchange, 2);
    await waitFor(() => delivered === 1, 'the first trades delivered');
    exchange.dropAll();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    const events = await reading;
    expect(tradeCount(events[0])).toBe(2);
    expectInterruption(events[1] as Interruption);
    expect(tradeCount(events[2])).toBe(3);
  });
});

describe('Subscription.status', () => {
  it('emits at once, then on every upstream connection state change', async () => {
    const { gateway, exchange } = await gatewayOnFake();
    const client = wsClient(gateway.wsUrl);
    const states: string[][] = [];
    client.subscribe(
      { query: 'subscription { status { connections { market state } } }' },
      {
        next: (r) =>
          void states.push(
            ((r.data?.['status'] as { connections: Array<{ market: string; state: string }> }).connections ?? []).map(
              (c) => `${c.market}:${c.state}`,
            ),
          ),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await waitFor(() => states.length >= 1, 'the first status');
    expect(states[0]).toEqual(['OPTIONS:OPEN', 'FUTURES:OPEN']);
    exchange.dropAll();
    await waitFor(() => states.some((s) => s.some((c) => !c.endsWith(':OPEN'))), 'a status showing a connection down');
    await waitFor(() => (states.at(-1) ?? []).every((c) => c.endsWith(':OPEN')), 'a status showing both open again');
    const [first] = await take(client, { query: 'subscription { status { mode } }' }, 1, 2_000);
    expect(first?.data).toEqual({ status: { mode: 'LIVE' } });
  });
});
