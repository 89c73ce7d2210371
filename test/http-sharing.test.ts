/**
 * SSE and multipart subscriptions on the shared path (issue 20): identical
 * subscriptions execute once per upstream event whatever their transport
 * (two SSE, one multipart and one graphql-ws client: one group, one
 * execution per event, counted by the fan-out and `/metrics`), each gets the
 * same bytes its transport's standard path would have written, and per
 * client the rules stay: a client that hangs up leaves its group, one that
 * stops reading is ended alone with SUBSCRIBER_TOO_SLOW on an event stream
 * while the others get every trade, and `throttleMs` makes a group of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { disposeAll, sleep, startTestGateway, subscribedUpstream, waitFor, type TestGateway } from './helpers/gateway.ts';
import { MULTIPART_ACCEPT, multipartPayloads, openHttpStream, SSE_ACCEPT, sseNexts, type HttpStream } from './helpers/http-stream.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';
import { rawSubscribe } from './helpers/raw-ws.ts';

const MAX_BEHIND_MS = 1_000;
const BOOK = 'subscription($symbol: String!) { futuresOrderBook(symbol: $symbol, depth: 2) { symbol timestamp bids { price volume } } }';
const TRADES = 'subscription($symbol: String!) { futuresTrades(symbol: $symbol) { symbol price volume side timestamp } }';

let shared: TestGateway;
let standard: TestGateway;
const streams: HttpStream[] = [];

beforeAll(async () => {
  const limits = { ...DEFAULT_LIMITS, slowSubscriberMaxBehindMs: MAX_BEHIND_MS };
  [shared, standard] = await Promise.all([
    startTestGateway({ config: { limits } }),
    startTestGateway({ config: { limits }, sharedSubscriptions: false }),
  ]);
  shared.simulator?.faults.pauseTopics(true);
  standard.simulator?.faults.pauseTopics(true);
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await disposeAll();
});

async function open(gateway: TestGateway, accept: string, query: string, variables: Record<string, unknown>): Promise<HttpStream> {
  const stream = await openHttpStream(gateway.url, accept, { query, variables });
  streams.push(stream);
  return stream;
}

const bookFrame = (symbol: string, n: number) =>
  JSON.stringify({
    dt: 32,
    c: 20,
    d: {
      s: symbol,
      ts: 1685092534839 + n,
      bids: [
        { pr: '0.5', v: n },
        { pr: '0.49', v: 2 },
      ],
      asks: [{ pr: '0.51', v: 1 }],
    },
  });

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

describe('one execution for every transport', () => {
  it('runs two SSE, one multipart and one graphql-ws subscription of the same book as one group: one execution per event, the same payload everywhere', async () => {
    const symbol = 'XRPUSD';
    const before = shared.fanout.stats();
    const [sseA, sseB, multipart] = await Promise.all([
      open(shared, SSE_ACCEPT, BOOK, { symbol }),
      open(shared, SSE_ACCEPT, BOOK, { symbol }),
      open(shared, MULTIPART_ACCEPT, BOOK, { symbol }),
    ]);
    const ws = await rawSubscribe(shared.wsUrl, BOOK, { symbol });
    await waitFor(() => shared.fanout.stats().members === before.members + 4, 'four members');
    expect(shared.fanout.stats().groups).toBe(before.groups + 1);
    expect([sseA?.headers['content-type'], multipart?.headers['content-type']]).toEqual([
      'text/event-stream',
      'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
    ]);
    await subscribedUpstream(shared, 'orderBook', symbol);
    const start = shared.fanout.stats();
    for (let n = 1; n <= 3; n++) {
      shared.simulator?.sendRaw('futures', bookFrame(symbol, n));
      await waitFor(
        () =>
          sseNexts(sseA?.text() ?? '').length === n &&
          sseNexts(sseB?.text() ?? '').length === n &&
          multipartPayloads(multipart?.text() ?? '').length === n &&
          ws.nexts.length === n,
        `book ${n} at every client`,
      );
    }
    const end = shared.fanout.stats();
    expect(end.executions - start.executions).toBe(3);
    expect(end.deliveries - start.deliveries).toBe(12);
    expect({
      ws: end.deliveredBy.ws - start.deliveredBy.ws,
      sse: end.deliveredBy.sse - start.deliveredBy.sse,
      multipart: end.deliveredBy.multipart - start.deliveredBy.multipart,
    }).toEqual({ ws: 3, sse: 6, multipart: 3 });
    const wsPayloads = ws.nexts.map((text) => JSON.stringify((JSON.parse(text) as { payload: unknown }).payload));
    expect(sseNexts(sseA?.text() ?? '')).toEqual(wsPayloads);
    expect(sseNexts(sseB?.text() ?? '')).toEqual(wsPayloads);
    expect(multipartPayloads(multipart?.text() ?? '')).toEqual(wsPayloads);
    const { samples } = await scrapeMetrics(Number(new URL(shared.url).port));
    expect(sumOf(samples, 'coincall_gateway_messages_sent_total', { transport: 'sse' })).toBeGreaterThanOrEqual(6);
    expect(sumOf(samples, 'coincall_gateway_messages_sent_total', { transport: 'multipart' })).toBeGreaterThanOrEqual(3);
    expect(sumOf(samples, 'coincall_gateway_subscriptions', { field: 'futuresOrderBook', transport: 'sse' })).toBe(2);
    expect(sumOf(samples, 'coincall_gateway_subscriptions', { field: 'futuresOrderBook', transport: 'multipart' })).toBe(1);

    // Hanging up leaves the group; the last one ends it.
    sseA?.close();
    await waitFor(() => shared.fanout.stats().members === before.members + 3, 'the closed SSE client to leave');
    for (const s of [sseB, multipart]) s?.close();
    ws.close();
    await waitFor(
      () => shared.fanout.stats().groups === before.groups && shared.fanout.stats().members === before.members,
      'the group to end with its last member',
    );
    const { samples: after } = await scrapeMetrics(Number(new URL(shared.url).port));
    expect(sumOf(after, 'coincall_gateway_subscriptions', { field: 'futuresOrderBook' })).toBe(0);
  });

  it('writes the bytes the standard SSE and multipart paths write', async () => {
    const symbol = 'ETHUSD';
    const bodies: string[][] = [];
    for (const gateway of [shared, standard]) {
      const sse = await open(gateway, SSE_ACCEPT, BOOK, { symbol });
      const multipart = await open(gateway, MULTIPART_ACCEPT, BOOK, { symbol });
      await subscribedUpstream(gateway, 'orderBook', symbol);
      // Both clients are attached once the upstream topic is: the standard path subscribes per client.
      await sleep(50);
      gateway.simulator?.sendRaw('futures', bookFrame(symbol, 1));
      await waitFor(
        () => sseNexts(sse.text()).length === 1 && multipartPayloads(multipart.text()).length === 1,
        'the book on both streams',
      );
      sse.close();
      multipart.close();
      // yoga pings SSE streams with comment lines on its own clock: they are not part of the comparison.
      bodies.push([
        sse.text().replaceAll(':\n\n', ''),
        multipart.text().replaceAll('\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{}\r\n--graphql', ''),
      ]);
    }
    expect(bodies[0]).toEqual(bodies[1]);
    expect(bodies[0]?.[0]).toMatch(/^event: next\ndata: \{"data":\{"futuresOrderBook":/);
  });

  it('gives a subscription with its own throttleMs a group of its own', async () => {
    const symbol = 'SOLUSD';
    const before = shared.fanout.stats();
    const plain = await open(shared, SSE_ACCEPT, BOOK, { symbol });
    const throttled = await open(shared, SSE_ACCEPT, BOOK.replace('depth: 2', 'depth: 2, throttleMs: 1000'), { symbol });
    await waitFor(() => shared.fanout.stats().members === before.members + 2, 'two members');
    expect(shared.fanout.stats().groups).toBe(before.groups + 2);
    plain.close();
    throttled.close();
    await waitFor(() => shared.fanout.stats().members === before.members, 'both to leave');
  });
});

describe('an SSE client that stops reading', () => {
  it(
    'is ended alone with SUBSCRIBER_TOO_SLOW and its stream completes, while the other clients get every trade',
    { timeout: 60_000 },
    async () => {
      const symbol = 'BTCUSD';
      const before = shared.fanout.stats();
      const healthy = await open(shared, SSE_ACCEPT, TRADES, { symbol });
      const healthyMultipart = await open(shared, MULTIPART_ACCEPT, TRADES, { symbol });
      const stalled = await open(shared, SSE_ACCEPT, TRADES, { symbol });
      await waitFor(() => shared.fanout.stats().members === before.members + 3, 'three members');
      await subscribedUpstream(shared, 'lastTrade', symbol);
      stalled.pause();
      let sent = 0;
      for (let i = 0; i < 1_000 && shared.fanout.stats().tooSlow === before.tooSlow; i++) {
        shared.simulator?.sendRaw('futures', tradeFrame(symbol, 2_000));
        sent += 2_000;
        await sleep(10);
      }
      expect(shared.fanout.stats().tooSlow).toBe(before.tooSlow + 1);
      await waitFor(
        () => tradesIn(sseNexts(healthy.text())) === sent && tradesIn(multipartPayloads(healthyMultipart.text())) === sent,
        'every trade at the healthy clients',
        30_000,
      );
      expect(healthy.text()).not.toContain('SUBSCRIBER_TOO_SLOW');
      stalled.resume();
      await waitFor(() => stalled.ended(), 'the stalled stream to end', 30_000);
      const events = stalled
        .text()
        .split('\n\n')
        .filter((block) => block.startsWith('event: '));
      expect(events.at(-2)).toContain('"code":"SUBSCRIBER_TOO_SLOW"');
      expect(events.at(-1)).toBe('event: complete\ndata:');
      await waitFor(() => shared.fanout.stats().members === before.members + 2, 'the stalled member to be gone');
      healthy.close();
      healthyMultipart.close();
      await waitFor(() => shared.fanout.stats().members === before.members, 'the healthy clients to leave');
    },
  );
});
