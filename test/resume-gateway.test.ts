/**
 * Cursors through the whole gateway, over the scripted stand-in exchange:
 * the trades Query twins answer from the resume window (recent trades with
 * no live subscription, since the exchange answers a subscribe with a batch
 * of recent trades; with `after`, the trades after it, oldest first, at most
 * `limit`; an expired cursor is an error, never a silently partial page), and
 * subscriptions with `after` are not shared with a group that already sent
 * its replay; with `throttleMs` too, the replay comes oldest first (it is
 * not throttled), then live trades throttled newest first. The simulator
 * sends such a batch too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FakeExchange } from './helpers/fake-exchange.ts';
import { startGatewayOnFakeExchange } from './helpers/gateway-on-fake.ts';
import { disposeAll, postGraphQL, startTestGateway, take, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';

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

/** The gateway over a fresh fake exchange that answers a subscribe with `replayOnSubscribe` recent trades. */
const gatewayOnFake = (replayOnSubscribe: number, upstream: { resumeMaxEventsPerTopic?: number } = {}) =>
  startGatewayOnFakeExchange({ replayOnSubscribe }, { upstream });

const live = (exchange: FakeExchange) =>
  exchange.connections.some((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY));

interface Row {
  readonly price: string;
  readonly cursor: string;
}

async function queryTrades(gateway: TestGateway, args: string): Promise<{ rows: Row[] | null; errors: Array<Record<string, unknown>> }> {
  const { body } = await postGraphQL(gateway.url, { query: `{ futuresTrades(symbol: "BTCUSD"${args}) { price cursor } }` });
  const data = body['data'] as { futuresTrades: Row[] } | null | undefined;
  return { rows: data?.futuresTrades ?? null, errors: (body['errors'] as Array<Record<string, unknown>> | undefined) ?? [] };
}

describe('the trades Query twins answer from the window', () => {
  it('answer recent trades with no live subscription (the batch the exchange sends on subscribe)', async () => {
    const { gateway, exchange } = await gatewayOnFake(5);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(5));
    const { rows, errors } = await queryTrades(gateway, ', limit: 3');
    expect(errors).toEqual([]);
    expect(rows?.map((r) => r.price)).toEqual(['60005', '60004', '60003'].map((p) => String(Number(p) + seq - 5)));
  });

  it('page forward with after: the trades after the cursor, oldest first, at most limit', async () => {
    const { gateway, exchange } = await gatewayOnFake(10);
    const base = seq;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(10));
    const newest = await queryTrades(gateway, ', limit: 10');
    const oldest = newest.rows?.at(-1);
    expect(oldest?.price).toBe(String(60_001 + base));
    const page = await queryTrades(gateway, `, after: "${oldest?.cursor ?? ''}", limit: 4`);
    expect(page.rows?.map((r) => Number(r.price) - base)).toEqual([60_002, 60_003, 60_004, 60_005]);
    const next = await queryTrades(gateway, `, after: "${page.rows?.at(-1)?.cursor ?? ''}", limit: 100`);
    expect(next.rows?.map((r) => Number(r.price) - base)).toEqual([60_006, 60_007, 60_008, 60_009, 60_010]);
  });

  it('fail with STREAM_INTERRUPTED (CURSOR_EXPIRED) for a cursor past the window, never a partial page', async () => {
    const { gateway, exchange } = await gatewayOnFake(1, { resumeMaxEventsPerTopic: 100 });
    const client = wsClient(gateway.wsUrl);
    const first = take(client, { query: 'subscription { futuresTrades(symbol: "BTCUSD") { price cursor } }' }, 2);
    await waitFor(() => live(exchange), 'the trades topic live upstream');
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(150));
    const [old] = ((await first)[0]?.data?.['futuresTrades'] ?? []) as Row[];
    const { rows, errors } = await queryTrades(gateway, `, after: "${old?.cursor ?? ''}"`);
    expect(rows).toBeNull();
    expect(errors[0]?.['extensions']).toMatchObject({ code: 'STREAM_INTERRUPTED', reason: 'CURSOR_EXPIRED' });
  });

  it('refuse a malformed cursor with BAD_USER_INPUT', async () => {
    const { gateway } = await gatewayOnFake(1);
    const { errors } = await queryTrades(gateway, ', after: "not-a-cursor"');
    expect(errors[0]?.['extensions']).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('sharing', () => {
  it('does not hand a late subscriber with the same after to a group that already replayed', async () => {
    const { gateway, exchange } = await gatewayOnFake(0);
    const query = 'subscription Resume($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { price cursor } }';
    const seed = take(wsClient(gateway.wsUrl), { query, variables: {} }, 1);
    await waitFor(() => live(exchange), 'the trades topic live upstream');
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    const rows = ((await seed)[0]?.data?.['futuresTrades'] ?? []) as Row[];
    const from = rows.at(-1);
    const a = take(wsClient(gateway.wsUrl), { query, variables: { after: from?.cursor } }, 1);
    expect(((await a)[0]?.data?.['futuresTrades'] as Row[]).map((r) => r.price)).toEqual(
      rows
        .slice(0, 2)
        .reverse()
        .map((r) => r.price),
    );
    // A second subscriber with the very same variables while the first one is live gets its own replay.
    const keep = wsClient(gateway.wsUrl);
    const holding = take(keep, { query, variables: { after: from?.cursor } }, 2, 3_000);
    const b = take(wsClient(gateway.wsUrl), { query, variables: { after: from?.cursor } }, 1);
    expect(((await b)[0]?.data?.['futuresTrades'] as Row[]).map((r) => r.price)).toEqual(
      rows
        .slice(0, 2)
        .reverse()
        .map((r) => r.price),
    );
    await holding;
  });
});

describe('after with throttleMs', () => {
  it('replays oldest first in its own message (the replay is not throttled), then throttles live trades newest first', async () => {
    const { gateway, exchange } = await gatewayOnFake(0);
    const seed = take(wsClient(gateway.wsUrl), { query: 'subscription { futuresTrades(symbol: "BTCUSD") { price cursor } }' }, 1);
    await waitFor(() => live(exchange), 'the trades topic live upstream');
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(5));
    const rows = ((await seed)[0]?.data?.['futuresTrades'] ?? []) as Row[];
    const messages: Row[][] = [];
    wsClient(gateway.wsUrl).subscribe(
      {
        query: 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after, throttleMs: 200) { price cursor } }',
        variables: { after: rows.at(-1)?.cursor },
      },
      {
        next: (r) => void messages.push((r.data as { futuresTrades: Row[] }).futuresTrades),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await waitFor(() => messages.length >= 1, 'the replay');
    const prices = (message: Row[] | undefined) => (message ?? []).map((r) => Number(r.price));
    // The seed's list is newest first: the replay is the four after its oldest, oldest first.
    expect(prices(messages[0])).toEqual(prices(rows.slice(0, 4)).reverse());
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => messages.slice(1).flat().length >= 4, 'the live trades');
    // Each live message (the two frames in one window, or in two when a window ends between them) newest first.
    for (const message of messages.slice(1)) expect(prices(message)).toEqual(prices(message).sort((a, b) => b - a));
  });
});

describe('the simulator', () => {
  it('answers a new trades subscription with a batch of recent trades, so a cold query is not empty', async () => {
    const gateway = await startTestGateway();
    // Let the simulated market trade for a few ticks before anyone asks.
    await new Promise((r) => setTimeout(r, 400));
    const { body } = await postGraphQL(gateway.url, { query: '{ futuresTrades(symbol: "BTCUSD", limit: 5) { price cursor } }' });
    const rows = (body['data'] as { futuresTrades: Row[] }).futuresTrades;
    expect(rows.length).toBeGreaterThan(0);
  });
});
