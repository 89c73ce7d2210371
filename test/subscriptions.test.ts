/**
 * Every root field, live, against the simulator, through the real graphql-ws
 * client; plus SSE, Apollo Client, shared topics with per-subscriber filters,
 * argument errors (with nothing sent upstream), GraphiQL, health and status.
 */
import { ApolloClient, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_IDS, CHANNELS } from '../src/channels/registry.ts';
import { listedExpiries } from '../src/simulator/instrument-specs.ts';
import { FuturesOrderBookDocument, OptionChainDocument, StatusDocument, type FuturesOrderBookSubscription } from './generated/graphql.ts';
import { DEMO_CREDENTIAL, disposeAll, sleep, sse, startTestGateway, take, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';
import { argType } from './helpers/arg-types.ts';
import { exampleArgs } from './helpers/example-args.ts';
import { selectAll } from './helpers/selection.ts';
import { print } from 'graphql';

let gateway: TestGateway;
let expiry: string;
let optionSymbol: string;

beforeAll(async () => {
  gateway = await startTestGateway();
  expiry = new Date(listedExpiries(Date.now())[1] as number).toISOString();
  const [chain] = await take(
    wsClient(gateway.wsUrl),
    { query: print(OptionChainDocument), variables: { underlying: 'BTCUSD', expiry } },
    1,
  );
  const tickers = (chain?.data?.['optionChain'] as { tickers: Array<{ symbol: string }> } | undefined)?.tickers ?? [];
  optionSymbol = tickers[Math.floor(tickers.length / 2)]?.symbol ?? '';
});
afterAll(disposeAll);

const upstreamRequests = () => gateway.simulator?.requests ?? [];
/** Subscribe requests so far (unsubscribes of earlier tests' lingering topics may still arrive). */
const subscribesSent = () => upstreamRequests().filter((r) => r.action === 'subscribe').length;

/** The channel's example variables for the simulated chain's expiry and option. */
const argsOf = (id: (typeof CHANNEL_IDS)[number]) => exampleArgs(CHANNELS[id], { expiry, option: optionSymbol });

function subscription(id: (typeof CHANNEL_IDS)[number], args: Record<string, unknown>, selection?: string) {
  const channel = CHANNELS[id];
  const names = Object.keys(args);
  const defs = names.map((n) => `$${n}: ${argType(id, n) ?? 'String'}`);
  return {
    query: `subscription${defs.length ? `(${defs.join(', ')})` : ''} { ${id}${names.length ? `(${names.map((n) => `${n}: $${n}`).join(', ')})` : ''} ${selection ?? selectAll(channel.output.shape)} }`,
    variables: args,
  };
}

describe('every root field streams simulated data over graphql-ws', () => {
  it.each(CHANNEL_IDS.map((id) => [id]))('%s', async (id) => {
    const channel = CHANNELS[id];
    const client = wsClient(gateway.wsUrl, channel.access === 'private' ? DEMO_CREDENTIAL : undefined);
    const [result] = await take(client, subscription(id, argsOf(id)), 1, 15_000);
    expect(result?.errors).toBeUndefined();
    const value = result?.data?.[id];
    const record = (Array.isArray(value) ? value[0] : value) as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(Object.keys(channel.output.shape.fields).sort());
    if ('symbol' in record) expect(typeof record['symbol']).toBe('string');
  });
});

describe('transports and clients', () => {
  it('streams over Server-Sent Events', async () => {
    const events = (await sse(
      gateway.url,
      { query: print(FuturesOrderBookDocument), variables: { symbol: 'ETHUSD', depth: 3 } },
      2,
    )) as Array<{
      data: FuturesOrderBookSubscription;
    }>;
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event.data.futuresOrderBook.symbol).toBe('ETHUSD');
      expect(event.data.futuresOrderBook.bids.length).toBeLessThanOrEqual(3);
    }
  });

  it('serves private channels over SSE with the credential headers', async () => {
    const [event] = (await sse(gateway.url, { query: 'subscription { accountBalance { userId equity } }' }, 1, {
      'x-coincall-api-key': DEMO_CREDENTIAL.apiKey,
      'x-coincall-api-secret': DEMO_CREDENTIAL.apiSecret,
    })) as Array<{ data: { accountBalance: { userId: string } } }>;
    expect(event?.data.accountBalance.userId).toEqual(expect.any(String));
  });

  it('works with Apollo Client and GraphQLWsLink', async () => {
    const ws = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const apollo = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    try {
      const book = await new Promise<FuturesOrderBookSubscription>((resolve, reject) => {
        const sub = apollo.subscribe({ query: FuturesOrderBookDocument, variables: { symbol: 'BTCUSD', depth: 2 } }).subscribe({
          next: (result) => {
            if (result.data) {
              sub.unsubscribe();
              resolve(result.data as FuturesOrderBookSubscription);
            }
          },
          error: reject,
        });
      });
      expect(book.futuresOrderBook.symbol).toBe('BTCUSD');
      expect(book.futuresOrderBook.asks).toHaveLength(2);
      expect(book.futuresOrderBook.asks[0]?.price).toMatch(/^\d+(\.\d+)?$/);
    } finally {
      apollo.stop();
      await ws.dispose();
    }
  });

  it('answers queries over HTTP: status shows the simulated upstream and its topics', async () => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(StatusDocument) }),
    });
    const body = (await res.json()) as {
      data: { status: { mode: string; connections: Array<{ market: string; state: string; access: string }> } };
    };
    expect(body.data.status.mode).toBe('SIMULATED');
    expect(body.data.status.connections).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ market: 'OPTIONS', state: 'OPEN', access: 'PUBLIC' }),
        expect.objectContaining({ market: 'FUTURES', state: 'OPEN', access: 'PUBLIC' }),
      ]),
    );
  });

  it('serves GraphiQL to a browser, with the example operations', async () => {
    const res = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('futuresOrderBook');
  });

  it('answers /health and /ready', async () => {
    const base = gateway.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
  });
});

describe('one upstream topic, a filtered view per subscriber', () => {
  it('shares one upstream subscription between different filters and unsubscribes after the last', async () => {
    const count = () =>
      upstreamRequests().filter(
        (r) => r.action === 'subscribe' && r.dataType === 'orderBook' && JSON.stringify(r.payload) === '{"symbol":"SOLUSD"}',
      ).length;
    const unsubscribed = () =>
      upstreamRequests().some(
        (r) => /^unsubscribe$/i.test(r.action) && r.dataType === 'orderBook' && JSON.stringify(r.payload) === '{"symbol":"SOLUSD"}',
      );
    const before = count();
    const selection = '{ symbol bids { price } asks { price } }';
    const [deep, shallow] = await Promise.all([
      take(wsClient(gateway.wsUrl), subscription('futuresOrderBook', { symbol: 'SOLUSD', depth: 5 }, selection), 3),
      take(wsClient(gateway.wsUrl), subscription('futuresOrderBook', { symbol: 'SOLUSD', depth: 1 }, selection), 3),
    ]);
    expect(count() - before).toBe(1);
    for (const r of deep ?? []) expect((r.data?.['futuresOrderBook'] as { bids: unknown[] }).bids).toHaveLength(5);
    for (const r of shallow ?? []) expect((r.data?.['futuresOrderBook'] as { bids: unknown[] }).bids).toHaveLength(1);
    await waitFor(unsubscribed, 'the upstream unsubscribe');
  });

  it('filters trades by side and option chains by type and strike', async () => {
    const [trades] = await take(
      wsClient(gateway.wsUrl),
      subscription('futuresTrades', { symbol: 'BTCUSD', side: 'SELL' }, '{ side }'),
      1,
      15_000,
    );
    expect((trades?.data?.['futuresTrades'] as Array<{ side: string }>).every((t) => t.side === 'SELL')).toBe(true);
    const strike = Number(optionSymbol.split('-')[2]);
    const [chain] = await take(
      wsClient(gateway.wsUrl),
      subscription(
        'optionChain',
        { underlying: 'BTCUSD', expiry, type: 'PUT', minStrike: strike, maxStrike: strike },
        '{ tickers { symbol type strike } }',
      ),
      1,
    );
    const tickers = (chain?.data?.['optionChain'] as { tickers: Array<{ type: string; strike: string }> }).tickers;
    expect(tickers).toEqual([expect.objectContaining({ type: 'PUT', strike: String(strike) })]);
  });
});

describe('bad input gets BAD_USER_INPUT and sends nothing upstream', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['a malformed symbol', 'subscription($s: String!) { futuresOrderBook(symbol: $s) { symbol } }', { s: 'btc' }],
    [
      'an option symbol on a futures field',
      'subscription($s: String!) { futuresOrderBook(symbol: $s) { symbol } }',
      { s: 'BTCUSD-27MAY30-24000-P' },
    ],
    ['a futures symbol on an option field', 'subscription($s: String!) { optionPricing(symbol: $s) { symbol } }', { s: 'BTCUSD' }],
    ['an expired option', 'subscription($s: String!) { optionPricing(symbol: $s) { symbol } }', { s: 'BTCUSD-27MAY23-24000-P' }],
    ['an unknown period', 'subscription { futuresKline(symbol: "BTCUSD", period: X9) { symbol } }', {}],
    [
      'an unknown period in a variable',
      'subscription($p: KlinePeriod!) { futuresKline(symbol: "BTCUSD", period: $p) { symbol } }',
      { p: 'h1' },
    ],
    ['a negative depth', 'subscription { futuresOrderBook(symbol: "BTCUSD", depth: -1) { symbol } }', {}],
    ['an absurd depth', 'subscription { futuresOrderBook(symbol: "BTCUSD", depth: 100000) { symbol } }', {}],
    ['an expiry in the past', 'subscription { optionChain(underlying: "BTCUSD", expiry: "2023-05-27T08:00:00.000Z") { expiry } }', {}],
    ['an expiry not at 08:00 UTC', 'subscription { optionChain(underlying: "BTCUSD", expiry: "2099-05-27T09:00:00.000Z") { expiry } }', {}],
    ['a malformed DateTime', 'subscription { optionChain(underlying: "BTCUSD", expiry: "tomorrow") { expiry } }', {}],
    ['a variable of the wrong type', 'subscription($s: String!) { futuresIndexPrice(symbol: $s) { symbol } }', { s: 5 }],
    ['a missing required variable', 'subscription($s: String!) { futuresIndexPrice(symbol: $s) { symbol } }', {}],
    [
      'minStrike above maxStrike',
      'subscription { optionChain(underlying: "BTCUSD", expiry: "2099-05-27T08:00:00.000Z", minStrike: 2, maxStrike: 1) { expiry } }',
      {},
    ],
  ];
  it.each(cases)('%s', async (_name, query, variables) => {
    const before = subscribesSent();
    const [result] = await take(wsClient(gateway.wsUrl), { query, variables }, 1);
    expect(result?.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(result?.errors?.[0]?.message.length).toBeGreaterThan(20);
    // HTTP statuses mean nothing on a WebSocket.
    expect(result?.errors?.[0]?.extensions).not.toHaveProperty('http');
    await sleep(50);
    expect(subscribesSent()).toBe(before);
  });

  it('refuses a private field without credentials with UNAUTHENTICATED', async () => {
    const before = subscribesSent();
    const [result] = await take(wsClient(gateway.wsUrl), { query: 'subscription { accountBalance { equity } }' }, 1);
    expect(result?.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(subscribesSent()).toBe(before);
  });

  it('reports a subscription the exchange refuses as UPSTREAM_REJECTED with its reason', async () => {
    gateway.simulator?.faults.refuseSubscriptions((req) => (req.dataType === 'kline' ? 'kline is under maintenance' : undefined));
    try {
      const [result] = await take(
        wsClient(gateway.wsUrl),
        subscription('futuresKline', { symbol: 'XRPUSD', period: 'H4' }, '{ symbol }'),
        1,
      );
      expect(result?.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_REJECTED');
      expect(result?.errors?.[0]?.message).toContain('kline is under maintenance');
    } finally {
      gateway.simulator?.faults.refuseSubscriptions(undefined);
    }
  });
});
