/**
 * The fast path of HTTP subscriptions (issue 20): an SSE or multipart
 * subscription identical to a running one joins its group at the Node
 * `http` level, without yoga's pipeline, and gets exactly what the yoga path
 * would have written (headers, the replayed last book, every event, one
 * execution per event for all of them), is counted with its transport label
 * and leaves its group when it hangs up. Anything that is not a plain shared
 * subscription (a malformed body, an unknown field, a `documentId`, a private
 * channel with its credential, a gateway with access checks) is answered by
 * yoga, exactly as on a gateway without sharing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { bearer, writeKeysFile } from './helpers/access.ts';
import {
  credentialHeaders,
  DEMO_CREDENTIAL,
  disposeAll,
  sleep,
  startTestGateway,
  subscribedUpstream,
  waitFor,
  type TestGateway,
} from './helpers/gateway.ts';
import { MULTIPART_ACCEPT, multipartPayloads, openHttpStream, SSE_ACCEPT, sseNexts, type HttpStream } from './helpers/http-stream.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const BOOK = 'subscription($symbol: String!) { futuresOrderBook(symbol: $symbol, depth: 2) { symbol timestamp bids { price volume } } }';
const TRADES = 'subscription($symbol: String!) { futuresTrades(symbol: $symbol) { symbol price volume side timestamp } }';
const BALANCE = 'subscription { accountBalance { userId equity } }';

let fast: TestGateway;
let standard: TestGateway;
const streams: HttpStream[] = [];

beforeAll(async () => {
  [fast, standard] = await Promise.all([startTestGateway(), startTestGateway({ sharedSubscriptions: false })]);
  fast.simulator?.faults.pauseTopics(true);
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await disposeAll();
});

async function open(
  gateway: TestGateway,
  accept: string,
  operation: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<HttpStream> {
  const stream = await openHttpStream(gateway.url, accept, operation, headers);
  streams.push(stream);
  return stream;
}

/** An SSE subscription sent as a GET, its parameters in the query string. */
async function openGet(gateway: TestGateway, query: string, variables: Record<string, unknown>): Promise<HttpStream> {
  const url = `${gateway.url}?${new URLSearchParams({ query, variables: JSON.stringify(variables) }).toString()}`;
  const response = await fetch(url, { headers: { accept: SSE_ACCEPT } });
  const decoder = new TextDecoder();
  let text = '';
  const reader = response.body?.getReader();
  void (async () => {
    for (let chunk = await reader?.read(); chunk !== undefined && chunk.done !== true; chunk = await reader?.read())
      text += decoder.decode(chunk.value, { stream: true });
  })().catch(() => undefined);
  const stream: HttpStream = {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    text: () => text,
    ended: () => false,
    pause: () => undefined,
    resume: () => undefined,
    close: () => void reader?.cancel().catch(() => undefined),
  };
  streams.push(stream);
  return stream;
}

const bookFrame = (symbol: string, n: number) =>
  JSON.stringify({ dt: 32, c: 20, d: { s: symbol, ts: 1685092534839 + n, bids: [{ pr: '0.5', v: n }], asks: [{ pr: '0.51', v: 1 }] } });

let sequence = 0;
function tradeFrame(symbol: string, count: number): string {
  const d = Array.from({ length: count }, () => ({ sd: 1, pr: 0.5, s: symbol, v: 1, ts: 1685096426138 + sequence++ }));
  return JSON.stringify({ dt: 33, c: 20, d });
}
const tradesIn = (payloads: readonly string[]) =>
  payloads.reduce((sum, json) => {
    const list: unknown = (JSON.parse(json) as { data?: { futuresTrades?: unknown } }).data?.futuresTrades;
    return sum + (Array.isArray(list) ? list.length : 0);
  }, 0);

/** The answer to a raw POST: status, content type and body text. */
async function answer(gateway: TestGateway, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: SSE_ACCEPT, ...headers },
    body,
  });
  const reader = response.body?.getReader();
  const first = await reader?.read();
  await reader?.cancel();
  return { status: response.status, type: response.headers.get('content-type'), text: new TextDecoder().decode(first?.value) };
}

describe('a plain shared subscription', () => {
  it('joins the running group on the fast path over SSE (POST and GET) and multipart: the same headers and bytes, one execution per event', async () => {
    const symbol = 'SOLUSD';
    const book = { query: BOOK, variables: { symbol } };
    const first = await open(fast, SSE_ACCEPT, book);
    await subscribedUpstream(fast, 'orderBook', symbol);
    fast.simulator?.sendRaw('futures', bookFrame(symbol, 1));
    await waitFor(() => sseNexts(first.text()).length === 1, 'the first book');
    const joinedBefore = fast.fastPath?.joined ?? 0;
    const members = fast.fanout.stats().members;

    const joiners = await Promise.all([...Array.from({ length: 4 }, () => open(fast, SSE_ACCEPT, book)), openGet(fast, BOOK, { symbol })]);
    const parts = await Promise.all(Array.from({ length: 3 }, () => open(fast, MULTIPART_ACCEPT, book)));
    expect(fast.fastPath?.joined).toBe(joinedBefore + 8);
    expect(fast.fanout.stats().members).toBe(members + 8);
    for (const joiner of joiners) {
      expect(joiner.status).toBe(200);
      for (const name of ['content-type', 'cache-control', 'content-encoding', 'transfer-encoding'])
        expect([name, joiner.headers[name]]).toEqual([name, first.headers[name]]);
    }
    for (const part of parts)
      expect([part.status, part.headers['content-type']]).toEqual([200, 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"']);
    const { samples } = await scrapeMetrics(fast.port);
    expect(sumOf(samples, 'coincall_gateway_subscriptions', { field: 'futuresOrderBook', transport: 'sse' })).toBe(6);
    expect(sumOf(samples, 'coincall_gateway_subscriptions', { field: 'futuresOrderBook', transport: 'multipart' })).toBe(3);

    // Each joiner got the last book on joining; two more events reach everyone, one execution each.
    const executions = fast.fanout.stats().executions;
    for (let n = 2; n <= 3; n++) {
      fast.simulator?.sendRaw('futures', bookFrame(symbol, n));
      await waitFor(
        () =>
          [first, ...joiners].every((s) => sseNexts(s.text()).length === n) && parts.every((p) => multipartPayloads(p.text()).length === n),
        `book ${n} everywhere`,
      );
    }
    expect(fast.fanout.stats().executions).toBe(executions + 2);
    for (const joiner of joiners) expect(joiner.text()).toBe(first.text());
    for (const part of parts) expect(multipartPayloads(part.text())).toEqual(sseNexts(first.text()));

    // A joiner that hangs up leaves the group.
    joiners[0]?.close();
    await waitFor(() => fast.fanout.stats().members === members + 7, 'the joiner gone');
  });
});

describe("a browser's cross-origin subscription on the fast path", () => {
  const corsOf = (headers: HttpStream['headers']) =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));

  it.each([
    ['CORS_ORIGINS=* (any origin, no credentials)', '*', 'https://app.example'],
    ['an allowed origin of a list (with credentials)', ['https://app.example'], 'https://app.example'],
    ['an origin the list does not allow (no CORS headers)', ['https://app.example'], 'https://other.example'],
  ] as const)(
    '%s: the same CORS headers as yoga gives the first subscriber',
    async (_name, corsOrigins: '*' | readonly string[], origin) => {
      const gateway = await startTestGateway({ config: { corsOrigins } });
      const book = { query: BOOK, variables: { symbol: 'BTCUSD' } };
      const first = await open(gateway, SSE_ACCEPT, book, { origin });
      await waitFor(() => sseNexts(first.text()).length >= 1, 'the first book');
      const joiner = await open(gateway, MULTIPART_ACCEPT, book, { origin });
      expect(gateway.fastPath?.joined).toBe(1);
      expect(corsOf(joiner.headers)).toEqual(corsOf(first.headers));
      if (corsOrigins === '*' || corsOrigins.includes(origin)) expect(joiner.headers['access-control-allow-origin']).toBe(origin);
      else expect(joiner.headers['access-control-allow-origin']).toBeUndefined();
    },
  );
});

describe('response headers', () => {
  it("are each request's own: one response's CORS headers never reach a later subscriber's (yoga path or fast path)", async () => {
    const gateway = await startTestGateway();
    const book = { query: BOOK, variables: { symbol: 'BTCUSD' } };
    const browser = await open(gateway, SSE_ACCEPT, book, { origin: 'https://app.example' });
    expect(browser.headers['access-control-allow-origin']).toBe('https://app.example');
    await waitFor(() => sseNexts(browser.text()).length >= 1, 'the first book');
    const other = await open(gateway, SSE_ACCEPT, { query: BOOK, variables: { symbol: 'ETHUSD' } });
    const joiner = await open(gateway, SSE_ACCEPT, book);
    expect(gateway.fastPath?.joined).toBe(1);
    for (const plain of [other, joiner]) {
      expect(plain.status).toBe(200);
      expect(Object.keys(plain.headers).filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
    }
  });
});

describe('the connection cap on the fast path', () => {
  it('refuses a joiner beyond MAX_CONNECTIONS with the 503 yoga gives any other stream, and it never joins', async () => {
    const gateway = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, maxConnections: 2 } } });
    const book = (symbol: string) => JSON.stringify({ query: BOOK, variables: { symbol } });
    const first = await open(gateway, SSE_ACCEPT, { query: BOOK, variables: { symbol: 'BTCUSD' } });
    await waitFor(() => gateway.fanout.stats().members === 1, 'the first member');
    await waitFor(() => sseNexts(first.text()).length >= 1, 'the first book');
    const joiner = await open(gateway, SSE_ACCEPT, { query: BOOK, variables: { symbol: 'BTCUSD' } });
    expect([joiner.status, gateway.fastPath?.joined]).toEqual([200, 1]);
    const [refusedJoiner, refusedOther] = await Promise.all([answer(gateway, book('BTCUSD')), answer(gateway, book('ETHUSD'))]);
    expect(refusedJoiner).toEqual(refusedOther);
    expect(refusedJoiner.status).toBe(503);
    expect(JSON.parse(refusedJoiner.text)).toMatchObject({ errors: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    expect([gateway.fastPath?.joined, gateway.fanout.stats().members]).toEqual([1, 2]);
  });
});

describe('a slow reader on the fast path', () => {
  it(
    "is held by the response's backpressure and ended alone with SUBSCRIBER_TOO_SLOW, while a joiner beside it gets every trade",
    { timeout: 60_000 },
    async () => {
      const symbol = 'BTCUSD';
      const trades = { query: TRADES, variables: { symbol } };
      const before = fast.fanout.stats();
      const first = await open(fast, SSE_ACCEPT, trades);
      await subscribedUpstream(fast, 'lastTrade', symbol);
      const joined = fast.fastPath?.joined ?? 0;
      const healthy = await open(fast, MULTIPART_ACCEPT, trades);
      const stalled = await open(fast, SSE_ACCEPT, trades);
      expect(fast.fastPath?.joined).toBe(joined + 2);
      await waitFor(() => fast.fanout.stats().members === before.members + 3, 'three members');
      stalled.pause();
      let sent = 0;
      for (let i = 0; i < 1_000 && fast.fanout.stats().tooSlow === before.tooSlow; i++) {
        fast.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        sent += 2_000;
        await sleep(10);
      }
      expect(fast.fanout.stats().tooSlow).toBe(before.tooSlow + 1);
      await waitFor(
        () => tradesIn(sseNexts(first.text())) === sent && tradesIn(multipartPayloads(healthy.text())) === sent,
        'every trade at the healthy clients',
        30_000,
      );
      stalled.resume();
      await waitFor(() => stalled.ended(), 'the stalled stream to end', 30_000);
      const events = stalled
        .text()
        .split('\n\n')
        .filter((block) => block.startsWith('event: '));
      expect(events.at(-2)).toContain('"code":"SUBSCRIBER_TOO_SLOW"');
      expect(events.at(-1)).toBe('event: complete\ndata:');
      await waitFor(() => fast.fanout.stats().members === before.members + 2, 'the stalled member to be gone');
      first.close();
      healthy.close();
      await waitFor(() => fast.fanout.stats().members === before.members, 'the healthy clients to leave');
    },
  );
});

describe('everything else goes to yoga, answered as without sharing', () => {
  const symbol = 'ETHUSD';
  beforeAll(async () => {
    // A running group of the book: a plain request for it would take the fast path.
    const first = await open(fast, SSE_ACCEPT, { query: BOOK, variables: { symbol } });
    await subscribedUpstream(fast, 'orderBook', symbol);
    fast.simulator?.sendRaw('futures', bookFrame(symbol, 1));
    await waitFor(() => sseNexts(first.text()).length === 1, 'the first book');
  });

  it.each([
    ['a malformed body', `{"query": ${JSON.stringify(BOOK)}, "variables": {"symbol": "${symbol}"`],
    ['an unknown field', JSON.stringify({ query: 'subscription { futuresOrderBook(symbol: "ETHUSD") { nope } }' })],
    ['a documentId beside the query', JSON.stringify({ query: BOOK, variables: { symbol }, documentId: 'abc' })],
    ['a batch', JSON.stringify([{ query: BOOK, variables: { symbol } }])],
  ])('%s', async (_name, body) => {
    const joined = fast.fastPath?.joined;
    const [viaFast, viaStandard] = await Promise.all([answer(fast, body), answer(standard, body)]);
    expect(viaFast).toEqual(viaStandard);
    expect(viaFast.text).toContain('"errors"');
    expect(fast.fastPath?.joined).toBe(joined);
  });

  it('a private channel with its credential: streamed by yoga, even when an identical one runs', async () => {
    const headers = credentialHeaders(DEMO_CREDENTIAL);
    fast.simulator?.faults.pauseTopics(false);
    const a = await open(fast, SSE_ACCEPT, { query: BALANCE }, headers);
    await waitFor(() => sseNexts(a.text()).length >= 1, 'the balance');
    const joined = fast.fastPath?.joined;
    const b = await open(fast, SSE_ACCEPT, { query: BALANCE }, headers);
    await waitFor(() => sseNexts(b.text()).length >= 1, 'the balance again');
    expect(JSON.parse(sseNexts(b.text())[0] ?? '{}')).toMatchObject({ data: { accountBalance: { equity: expect.any(String) } } });
    expect(fast.fastPath?.joined).toBe(joined);
  });

  it('with GATEWAY_AUTH the fast path is off: a subscription without its key is refused 401 UNAUTHENTICATED, with it streamed', async () => {
    const key = 'ka_9QpL0vS2mN4xR8tY1wZ3cB6dF9gH5jK';
    const keysFile = writeKeysFile([{ id: 'partner-a', key, scopes: ['public'] }]);
    const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
    expect(gateway.fastPath).toBeUndefined();
    const book = JSON.stringify({ query: BOOK, variables: { symbol } });
    const withKey = await open(gateway, SSE_ACCEPT, { query: BOOK, variables: { symbol } }, bearer(key));
    expect(withKey.status).toBe(200);
    const refused = await answer(gateway, book);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});
