/**
 * The Query twins end to end, against the simulator: every state channel,
 * recent trades and positions answer a query with the subscription's own
 * selection; a query and a subscription share one upstream subscription; and
 * Apollo Client's InMemoryCache (no typePolicies) normalizes on `id`, so a
 * subscription updates a watched query by itself and two depths of one book
 * live side by side.
 */
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_IDS, CHANNELS } from '../src/channels/registry.ts';
import { listedExpiries } from '../src/simulator/instrument-specs.ts';
import { argType } from './helpers/arg-types.ts';
import { exampleArgs } from './helpers/example-args.ts';
import {
  credentialHeaders,
  DEMO_CREDENTIAL,
  disposeAll,
  postGraphQL,
  startTestGateway,
  waitFor,
  type TestGateway,
} from './helpers/gateway.ts';
import { selectAll } from './helpers/selection.ts';

let gateway: TestGateway;
let expiry: string;

beforeAll(async () => {
  // Topics linger long enough that a query's topic is still live when the next operation comes, however busy the machine.
  gateway = await startTestGateway({ upstream: { lingerMs: 10_000 } });
  expiry = new Date(listedExpiries(Date.now())[1] as number).toISOString();
});
afterAll(disposeAll);

const TWINS = CHANNEL_IDS.filter((id) => CHANNELS[id].twin !== undefined);

/** An option of the simulated chain (a listed one, so the simulator serves it). */
async function listedOption(): Promise<string> {
  const { body } = await postGraphQL(gateway.url, {
    query: 'query($e: DateTime!) { optionChain(underlying: "BTCUSD", expiry: $e) { tickers { symbol } } }',
    variables: { e: expiry },
  });
  const tickers = (body['data'] as { optionChain: { tickers: Array<{ symbol: string }> } }).optionChain.tickers;
  return tickers[Math.floor(tickers.length / 2)]?.symbol ?? '';
}

/** The channel's example variables for the simulated chain's expiry and `option`. */
const argsOf = (id: (typeof CHANNEL_IDS)[number], option: string) => exampleArgs(CHANNELS[id], { expiry, option });

function queryOf(id: (typeof CHANNEL_IDS)[number], args: Record<string, unknown>) {
  const names = Object.keys(args);
  const defs = names.map((n) => `$${n}: ${argType(id, n) ?? 'String'}`);
  return {
    query: `query${defs.length ? `(${defs.join(', ')})` : ''} { ${id}${names.length ? `(${names.map((n) => `${n}: $${n}`).join(', ')})` : ''} ${selectAll(CHANNELS[id].output.shape)} }`,
    variables: args,
  };
}

describe('every twin answers a query with the subscription selection', () => {
  it('covers the contract list', () => {
    expect(TWINS).toEqual(
      expect.arrayContaining([
        'optionIndexPrice',
        'optionKline',
        'optionPricing',
        'optionChain',
        'optionOrderBook',
        'futuresIndexPrice',
        'futuresKline',
        'futuresOrderBook',
        'accountBalance',
        'optionPositions',
        'futuresPositions',
        'optionTrades',
        'futuresTrades',
      ]),
    );
    expect(TWINS).toHaveLength(13);
  });

  it.each(TWINS.map((id) => [id]))('%s', async (id) => {
    const option = await listedOption();
    const headers = CHANNELS[id].access === 'private' ? credentialHeaders(DEMO_CREDENTIAL) : {};
    const { status, body } = await postGraphQL(gateway.url, queryOf(id, argsOf(id, option)), headers);
    expect(body['errors']).toBeUndefined();
    expect(status).toBe(200);
    const value = (body['data'] as Record<string, unknown>)[id];
    if (CHANNELS[id].twin === 'state') expect(value).toMatchObject({ id: expect.stringContaining(id) });
    else expect(Array.isArray(value)).toBe(true);
  });
});

describe('arguments', () => {
  it('limit takes 1 to 100 recent trades, else BAD_USER_INPUT', async () => {
    const ok = await postGraphQL(gateway.url, { query: '{ futuresTrades(symbol: "BTCUSD", limit: 3) { price timestamp } }' });
    expect(ok.body['errors']).toBeUndefined();
    expect((ok.body['data'] as { futuresTrades: unknown[] }).futuresTrades.length).toBeLessThanOrEqual(3);
    const bad = await postGraphQL(gateway.url, { query: '{ futuresTrades(symbol: "BTCUSD", limit: 101) { price } }' });
    expect(bad.body['errors']).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });

  it('a group that is not a positive decimal is BAD_USER_INPUT', async () => {
    for (const group of ['"0"', '"-5"', '"ten"']) {
      const { body } = await postGraphQL(gateway.url, { query: `{ futuresOrderBook(symbol: "BTCUSD", group: ${group}) { id } }` });
      expect(body['errors'], group).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    }
  });

  it('a private twin without credentials is UNAUTHENTICATED', async () => {
    const { body } = await postGraphQL(gateway.url, { query: '{ accountBalance { id equity } }' });
    expect(body['errors']).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  });
});

describe('one upstream subscription for queries and subscriptions alike', () => {
  it('a query then a subscription of the same topic cost one upstream subscribe', async () => {
    const requests = () =>
      (gateway.simulator?.requests ?? []).filter((r) => r.dataType === 'orderBook' && JSON.stringify(r.payload).includes('SOLUSD'));
    const { body } = await postGraphQL(gateway.url, { query: '{ futuresOrderBook(symbol: "SOLUSD", depth: 3) { id bids { price } } }' });
    expect(body['errors']).toBeUndefined();
    const client = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    try {
      await new Promise<void>((resolve, reject) => {
        const stop = client.subscribe(
          { query: 'subscription { futuresOrderBook(symbol: "SOLUSD") { id } }' },
          { next: () => (stop(), resolve()), error: reject, complete: () => undefined },
        );
      });
    } finally {
      await client.dispose();
    }
    expect(requests().filter((r) => r.action === 'subscribe')).toHaveLength(1);
  });
});

/** One order book selection, asked by a watched query and by the subscription that updates it. */
const BOOK_SELECTION = `futuresOrderBook(symbol: $symbol, depth: $depth) {
  id symbol timestamp
  bids { price volume total }
  asks { price volume total }
}`;
const BOOK = gql(`query Book($symbol: String!, $depth: Int) { ${BOOK_SELECTION} }`);
const BOOK_UPDATES = gql(`subscription BookUpdates($symbol: String!, $depth: Int) { ${BOOK_SELECTION} }`);
interface BookData {
  futuresOrderBook: { id: string; timestamp: number | string; bids: unknown[]; asks: unknown[] };
}

describe("Apollo Client's InMemoryCache, no typePolicies", () => {
  function apollo() {
    const ws = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const client = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    return { client, dispose: () => (client.stop(), ws.dispose()) };
  }

  it('a subscription updates a watched query by normalization alone', async () => {
    const { client, dispose } = apollo();
    try {
      const variables = { symbol: 'BTCUSD', depth: 5 };
      const seen: Array<BookData['futuresOrderBook']> = [];
      const watch = client.watchQuery<BookData>({ query: BOOK, variables }).subscribe({
        next: (result) => {
          if (result.data?.futuresOrderBook !== undefined) seen.push(result.data.futuresOrderBook as BookData['futuresOrderBook']);
        },
      });
      await waitFor(() => seen.length >= 1, 'the query result');
      const first = seen[0];
      // The subscription writes into the cache; nothing else feeds the watched query.
      const updates = client.subscribe({ query: BOOK_UPDATES, variables }).subscribe({});
      await waitFor(() => seen.some((b) => b.timestamp !== first?.timestamp), 'the watched query to show a newer book', 10_000);
      expect(seen.at(-1)?.id).toBe('futuresOrderBook:BTCUSD:depth=5');
      updates.unsubscribe();
      watch.unsubscribe();
    } finally {
      dispose();
    }
  });

  it('two depths of one book live side by side', async () => {
    const { client, dispose } = apollo();
    try {
      const latest: Record<number, BookData['futuresOrderBook'] | undefined> = {};
      const watches = [5, 10].map((depth) =>
        client.watchQuery<BookData>({ query: BOOK, variables: { symbol: 'BTCUSD', depth } }).subscribe({
          next: (result) => void (latest[depth] = result.data?.futuresOrderBook as BookData['futuresOrderBook'] | undefined),
        }),
      );
      const updates = [5, 10].map((depth) =>
        client.subscribe({ query: BOOK_UPDATES, variables: { symbol: 'BTCUSD', depth } }).subscribe({}),
      );
      await waitFor(() => latest[5] !== undefined && latest[10] !== undefined, 'both books');
      const start = latest[10]?.timestamp;
      await waitFor(() => latest[10]?.timestamp !== start, 'an update of the deeper book', 10_000);
      expect(latest[5]?.id).toBe('futuresOrderBook:BTCUSD:depth=5');
      expect(latest[10]?.id).toBe('futuresOrderBook:BTCUSD:depth=10');
      expect(latest[5]?.bids).toHaveLength(5);
      expect(latest[10]?.bids).toHaveLength(10);
      const cached: object = client.cache.extract() ?? {};
      expect(Object.keys(cached)).toEqual(
        expect.arrayContaining(['OrderBook:futuresOrderBook:BTCUSD:depth=5', 'OrderBook:futuresOrderBook:BTCUSD:depth=10']),
      );
      for (const s of [...watches, ...updates]) s.unsubscribe();
    } finally {
      dispose();
    }
  });
});
