/**
 * Apollo's multipart HTTP subscriptions (issue 11): Apollo Client's default
 * `HttpLink` streams a subscription, public or private (credential headers),
 * and sees an argument error as a GraphQL error; the framing byte by byte
 * over raw HTTP (CRLFs, boundary, `{"payload":...}` parts, heartbeat `{}`,
 * the closing boundary); the `Accept` negotiation; and multipart streams
 * counted like SSE.
 */
import { request } from 'node:http';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { acceptsMultipartSubscriptions, MULTIPART_CONTENT_TYPE, multipartResponse } from '../src/server/http-streaming/multipart.ts';
import { DEMO_CREDENTIAL, disposeAll, postGraphQL, postStreaming, startTestGateway, waitFor, type TestGateway } from './helpers/gateway.ts';

/** What Apollo Client's HttpLink sends for a subscription (its `accept` before the default ones). */
const APOLLO_ACCEPT = 'multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/graphql-response+json,application/json;q=0.9';
const PART = '\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
const END = '\r\n--graphql--\r\n';
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { symbol price } }';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(disposeAll);

type Next = { data?: unknown; error?: Error };

/** The first `count` results of an Apollo Client subscription (data or error). */
function apolloTake(client: ApolloClient, query: string, count: number): Promise<Next[]> {
  return new Promise((resolve, reject) => {
    const seen: Next[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} results`)), 8_000);
    const sub = client.subscribe({ query: gql(query) }).subscribe({
      next: (result) => {
        seen.push({ data: result.data, ...(result.error === undefined ? {} : { error: result.error }) });
        if (seen.length === count) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve(seen);
        }
      },
      error: (error: Error) => {
        clearTimeout(timer);
        resolve([...seen, { error }]);
      },
    });
  });
}

describe("Apollo Client's default HttpLink", () => {
  it('streams a subscription as multipart HTTP', async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: gateway.url }), cache: new InMemoryCache() });
    try {
      const results = await apolloTake(client, TRADES, 2);
      expect(results.map((r) => r.error)).toEqual([undefined, undefined]);
      // An event is a batch of one or more trades.
      const trades = (results[0]?.data as { futuresTrades: unknown[] } | undefined)?.futuresTrades ?? [];
      expect(trades.length).toBeGreaterThan(0);
      for (const trade of trades) expect(trade).toMatchObject({ symbol: 'BTCUSD', price: expect.stringMatching(/^\d/) });
    } finally {
      client.stop();
    }
  });

  it('streams a private channel with the credential in headers', async () => {
    const headers = { 'X-Coincall-Api-Key': DEMO_CREDENTIAL.apiKey, 'X-Coincall-Api-Secret': DEMO_CREDENTIAL.apiSecret };
    const client = new ApolloClient({ link: new HttpLink({ uri: gateway.url, headers }), cache: new InMemoryCache() });
    try {
      const [balance] = await apolloTake(client, 'subscription { accountBalance { userId equity } }', 1);
      expect(balance?.error).toBeUndefined();
      expect(balance?.data).toMatchObject({ accountBalance: { userId: expect.any(String), equity: expect.any(String) } });
    } finally {
      client.stop();
    }
  });

  it('surfaces an argument error as an Apollo error naming the valid values', async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: gateway.url }), cache: new InMemoryCache() });
    try {
      const [result] = await apolloTake(client, 'subscription { futuresKline(symbol: "BTCUSD", period: "1m") { open } }', 1);
      expect(result?.error?.name).toBe('CombinedGraphQLErrors');
      expect(result?.error?.message).toMatch(/Valid values: (\w+, )*M1, /);
    } finally {
      client.stop();
    }
  });
});

/** A POST over raw HTTP; resolves with the status, content type and body (de-chunked) once `until` holds or the body ends. */
const rawPost = (accept: string, query: string, until: (body: string) => boolean) => postStreaming(gateway.url, accept, { query }, until);

describe('the multipart framing, byte by byte', () => {
  it('streams `{"payload":...}` parts between CRLF-delimited `--graphql` boundaries', async () => {
    const { status, type, body } = await rawPost(
      'multipart/mixed;subscriptionSpec="1.0", application/json',
      TRADES,
      (b) => b.split(PART).length > 3,
    );
    expect([status, type]).toEqual([200, MULTIPART_CONTENT_TYPE]);
    expect(body.startsWith(`${PART}{"payload":{"data":{"futuresTrades":[`)).toBe(true);
    const parts = body.split(PART).slice(1, 3);
    for (const part of parts)
      expect(JSON.parse(part.replace(/\r\n--graphql$/, ''))).toMatchObject({ payload: { data: { futuresTrades: expect.any(Array) } } });
  });

  it('answers a refused subscription with one errors part and the closing boundary', async () => {
    const { status, type, body } = await rawPost(APOLLO_ACCEPT, 'subscription { futuresTrades(symbol: 7) { price } }', () => false);
    expect([status, type]).toEqual([200, MULTIPART_CONTENT_TYPE]);
    expect(body.startsWith(`${PART}{"payload":{"errors":[{"message":`)).toBe(true);
    expect(body.endsWith(`}]}}${END}`)).toBe(true);
    expect(body.split(PART)).toHaveLength(2);
  });

  it('writes a heartbeat part `{}` every period and ends with the closing boundary', async () => {
    let release: () => void = () => undefined;
    const quiet = (async function* () {
      await new Promise<void>((resolve) => (release = resolve));
      yield { data: { n: 1 } };
    })();
    const response = multipartResponse(quiet, globalThis, 30, silentLogger);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const decoder = new TextDecoder();
    let body = '';
    while (!body.includes(`${PART}{}${PART}{}`)) body += decoder.decode((await reader.read()).value);
    release();
    for (let step = await reader.read(); step.done !== true; step = await reader.read()) body += decoder.decode(step.value);
    expect(body.startsWith(`${PART}{}${PART}{}`)).toBe(true);
    expect(body.endsWith(`${PART}{"payload":{"data":{"n":1}}}${END}`)).toBe(true);
  });
});

describe('content negotiation', () => {
  it('recognises subscriptionSpec 1.0 in any order, case and quoting, with or without a boundary', () => {
    for (const accept of [
      APOLLO_ACCEPT,
      'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
      'multipart/mixed;subscriptionSpec="1.0", application/json',
      'application/json, Multipart/Mixed; SubscriptionSpec = "1.0" ; boundary=graphql',
    ])
      expect(acceptsMultipartSubscriptions(accept), accept).toBe(true);
    for (const accept of ['multipart/mixed;deferSpec=20220824,application/json', 'multipart/mixed', 'text/event-stream', '', null])
      expect(acceptsMultipartSubscriptions(accept), String(accept)).toBe(false);
  });

  it('answers a query with that Accept as JSON, as Apollo expects', async () => {
    const { status, type, body } = await rawPost('multipart/mixed;subscriptionSpec="1.0", application/json', '{ __typename }', () => false);
    expect([status, type, body]).toEqual([200, 'application/json; charset=utf-8', '{"data":{"__typename":"Query"}}']);
  });
});

/** Subscribers of the gateway's upstream topics of one channel, from `status`. */
async function subscribersOf(url: string, channel: string): Promise<number> {
  const { body } = await postGraphQL(url, '{"query":"{ status { topics { channel subscribers } } }"}');
  const topics = (body['data'] as { status: { topics: Array<{ channel: string; subscribers: number }> } }).status.topics;
  return topics.filter((topic) => topic.channel === channel).reduce((sum, topic) => sum + topic.subscribers, 0);
}

describe('connection counting', () => {
  it('ends the subscription when the multipart client goes away', async () => {
    const own = await startTestGateway();
    const client = new ApolloClient({ link: new HttpLink({ uri: own.url }), cache: new InMemoryCache() });
    let events = 0;
    const sub = client
      .subscribe({ query: gql('subscription { futuresIndexPrice(symbol: "BTCUSD") { markPrice } }') })
      .subscribe({ next: () => (events += 1) });
    await waitFor(() => events > 0, 'a first event');
    expect(await subscribersOf(own.url, 'futuresIndexPrice')).toBe(1);
    sub.unsubscribe();
    client.stop();
    let left = 1;
    for (let attempt = 0; attempt < 100 && left !== 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await subscribersOf(own.url, 'futuresIndexPrice');
    }
    expect(left).toBe(0);
  });

  it('counts a multipart stream against MAX_CONNECTIONS like SSE', async () => {
    const small = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, maxConnections: 1 } } });
    const open = new Promise<void>((resolve, reject) => {
      const req = request(
        small.url,
        { method: 'POST', agent: false, headers: { accept: APOLLO_ACCEPT, 'content-type': 'application/json' } },
        (res) => {
          res.once('data', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query: TRADES }));
    });
    await open;
    const second = await fetch(small.url, {
      method: 'POST',
      headers: { accept: APOLLO_ACCEPT, 'content-type': 'application/json' },
      body: JSON.stringify({ query: TRADES }),
    });
    expect(second.status).toBe(503);
    expect(await second.text()).toContain('MAX_CONNECTIONS');
  });
});
