/**
 * A trades Query twin's page with `after` that crosses a gap the window kept
 * (an upstream interruption: the exchange dropped the connection and the
 * gateway resubscribed) says so in band: the page's trades in `data`, and in
 * `errors` a `STREAM_INTERRUPTED` at the field's path with the gap's
 * `reason`, `since` and `until`. A gap after a full page belongs to the next
 * page; a page that does not reach a gap says nothing. A cursor older than
 * the window fails the query with `STREAM_INTERRUPTED` (`CURSOR_EXPIRED`),
 * dated from the cursor's trade to the oldest retained one. Each is said as
 * a query's (no "subscription continues"). Over the scripted stand-in
 * exchange, through the whole gateway.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FakeExchange } from './helpers/fake-exchange.ts';
import { startGatewayOnFakeExchange } from './helpers/gateway-on-fake.ts';
import { disposeAll, postGraphQL, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;

let seq = 0;
/** `n` wire trades, newest first as the exchange sends a frame. */
const wireTrades = (n: number) =>
  Array.from({ length: n }, () => {
    seq++;
    return { s: 'BTCUSD', pr: String(60_000 + seq), v: '0.1', sd: 1, ts: 1_700_000_000_000 + seq };
  }).reverse();

interface Row {
  readonly price: string;
  readonly cursor: string;
}

/** The gateway over a fresh fake exchange that sends no recent trades on a subscribe. */
const gatewayOnFake = (upstream: { resumeMaxEventsPerTopic?: number } = {}) =>
  startGatewayOnFakeExchange({ replayOnSubscribe: 0 }, { upstream });

const live = (exchange: FakeExchange) =>
  exchange.connections.some((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY));
const tradeSubscribes = (exchange: FakeExchange) =>
  exchange.requests.filter((r) => r.action === 'subscribe' && r.dataType === 'lastTrade').length;

async function queryTrades(gateway: TestGateway, args: string) {
  const { body } = await postGraphQL(gateway.url, { query: `{ futuresTrades(symbol: "BTCUSD"${args}) { price cursor } }` });
  const data = body['data'] as { futuresTrades: Row[] } | null | undefined;
  return {
    prices: data?.futuresTrades.map((r) => Number(r.price)) ?? null,
    rows: data?.futuresTrades ?? [],
    errors: (body['errors'] as Array<Record<string, unknown>> | undefined) ?? [],
  };
}

/**
 * A live trades topic (a subscriber keeps it open) whose window holds, in
 * order: two trades, the gap of an upstream drop, two more trades.
 */
async function windowWithGap() {
  const { gateway, exchange } = await gatewayOnFake();
  const results: Array<{ readonly data: unknown; readonly codes: readonly unknown[] }> = [];
  wsClient(gateway.wsUrl).subscribe(
    { query: 'subscription { futuresTrades(symbol: "BTCUSD") { price cursor } }' },
    {
      next: (r) => void results.push({ data: r.data, codes: (r.errors ?? []).map((e) => e.extensions?.['code']) }),
      error: () => undefined,
      complete: () => undefined,
    },
  );
  const rows = () => results.flatMap((r) => (r.data as { futuresTrades?: Row[] } | null | undefined)?.futuresTrades ?? []);
  const interrupted = () => results.some((r) => r.codes.includes('STREAM_INTERRUPTED'));
  await waitFor(() => live(exchange), 'the trades topic live upstream');
  const base = seq;
  exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
  await waitFor(() => rows().length >= 2, 'the first two trades');
  const subscribed = tradeSubscribes(exchange);
  exchange.dropAll();
  await waitFor(() => tradeSubscribes(exchange) > subscribed && live(exchange), 'the resubscribe after the drop');
  await waitFor(interrupted, 'the subscriber told of the interruption');
  expect(exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2))).toBe(1);
  await waitFor(() => rows().length >= 4, 'the two trades after the drop');
  const byPrice = new Map(rows().map((r) => [Number(r.price) - base, r]));
  return { gateway, base, cursorOf: (n: number) => byPrice.get(60_000 + n)?.cursor ?? '' };
}

describe('a trades Query twin page with after', () => {
  it('that crosses an upstream gap: its trades, and STREAM_INTERRUPTED (UPSTREAM) with since and until beside them', async () => {
    const { gateway, base, cursorOf } = await windowWithGap();
    const page = await queryTrades(gateway, `, after: "${cursorOf(1)}"`);
    expect(page.prices?.map((p) => p - base)).toEqual([60_002, 60_003, 60_004]);
    expect(page.errors).toEqual([
      expect.objectContaining({
        path: ['futuresTrades'],
        extensions: { code: 'STREAM_INTERRUPTED', reason: 'UPSTREAM', since: expect.any(String), until: expect.any(String) },
      }),
    ]);
    const { since, until } = page.errors[0]?.['extensions'] as { since: string; until: string };
    expect(Date.parse(since)).toBeLessThanOrEqual(Date.parse(until));
    // Said as a query's: no subscription goes on.
    expect(page.errors[0]?.['message']).toContain('The trades of the page are in `data`.');
    expect(page.errors[0]?.['message']).not.toContain('subscription');
  });

  it('that starts at the gap: the trades after it, and the gap', async () => {
    const { gateway, base, cursorOf } = await windowWithGap();
    const page = await queryTrades(gateway, `, after: "${cursorOf(2)}"`);
    expect(page.prices?.map((p) => p - base)).toEqual([60_003, 60_004]);
    expect(page.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ reason: 'UPSTREAM' }) })]);
  });

  it('that is full before the gap: its trades and no error (the gap is the next page’s)', async () => {
    const { gateway, base, cursorOf } = await windowWithGap();
    const page = await queryTrades(gateway, `, after: "${cursorOf(1)}", limit: 1`);
    expect(page.prices?.map((p) => p - base)).toEqual([60_002]);
    expect(page.errors).toEqual([]);
    const next = await queryTrades(gateway, `, after: "${page.rows[0]?.cursor ?? ''}", limit: 1`);
    expect(next.prices?.map((p) => p - base)).toEqual([60_003]);
    expect(next.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'STREAM_INTERRUPTED' }) })]);
  });

  it('after the gap: only trades', async () => {
    const { gateway, base, cursorOf } = await windowWithGap();
    const page = await queryTrades(gateway, `, after: "${cursorOf(3)}"`);
    expect(page.prices?.map((p) => p - base)).toEqual([60_004]);
    expect(page.errors).toEqual([]);
  });
});

describe('a trades Query twin with an after older than the window', () => {
  it('fails with STREAM_INTERRUPTED (CURSOR_EXPIRED), since the cursor’s trade, until the oldest retained one', async () => {
    const { gateway, exchange } = await gatewayOnFake({ resumeMaxEventsPerTopic: 100 });
    const results: Row[] = [];
    wsClient(gateway.wsUrl).subscribe(
      { query: 'subscription { futuresTrades(symbol: "BTCUSD") { price cursor } }' },
      {
        next: (r) => void results.push(...((r.data as { futuresTrades?: Row[] } | null | undefined)?.futuresTrades ?? [])),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await waitFor(() => live(exchange), 'the trades topic live upstream');
    const first = seq + 1;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(150));
    await waitFor(() => results.length >= 151, 'all 151 trades');
    const old = results.find((r) => Number(r.price) === 60_000 + first);
    const page = await queryTrades(gateway, `, after: "${old?.cursor ?? ''}"`);
    expect(page.prices).toBeNull();
    expect(page.errors).toEqual([
      expect.objectContaining({
        extensions: {
          code: 'STREAM_INTERRUPTED',
          reason: 'CURSOR_EXPIRED',
          since: new Date(1_700_000_000_000 + first).toISOString(),
          // 151 trades, 100 retained: the oldest retained is the 52nd.
          until: new Date(1_700_000_000_000 + first + 51).toISOString(),
        },
      }),
    ]);
    // Said as a query's: no subscription goes on, and how to get trades instead.
    expect(page.errors[0]?.['message']).toContain('The query answers no trades: ask without `after`');
    expect(page.errors[0]?.['message']).not.toContain('subscription');
  });
});
