/**
 * `/metrics`: Prometheus text with every family of the API contract
 * ("Metrics"), Node's process metrics and graphql-yoga's request metrics,
 * whose values move under traffic (graphql-ws and SSE subscribers, refusals,
 * an upstream reconnect, dropped frames); labels stay bounded (never a
 * symbol, never an account); and the families read plain counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';
import { createMetrics } from '../src/server/metrics/metrics.ts';
import type { UpstreamStatus } from '../src/sources/coincall/coincall-source.ts';
import { parsePrometheus, scrapeMetrics, sumOf, type Sample } from './helpers/prometheus.ts';
import {
  DEMO_CREDENTIAL,
  disposeAll,
  postGraphQL,
  startTestGateway,
  take,
  waitFor,
  wsClient,
  type TestGateway,
} from './helpers/gateway.ts';

const FAMILIES = [
  'coincall_gateway_subscriptions',
  'coincall_gateway_connections',
  'coincall_gateway_upstream_connections',
  'coincall_gateway_upstream_topics',
  'coincall_gateway_upstream_reconnects_total',
  'coincall_gateway_upstream_frames_total',
  'coincall_gateway_dropped_frames_total',
  'coincall_gateway_messages_sent_total',
  'coincall_gateway_slow_subscribers_total',
  'coincall_gateway_refusals_total',
  'coincall_gateway_delivery_latency_seconds',
  'coincall_gateway_instrument_refreshes_rejected_total',
] as const;

const ORDER_BOOK = {
  query: 'subscription ($symbol: String!) { futuresOrderBook(symbol: $symbol, depth: 3) { symbol bids { price } } }',
  variables: { symbol: 'BTCUSD' },
};
const TRADES = { query: 'subscription { futuresTrades(symbol: "BTCUSD") { price } }' };

let gateway: TestGateway;
beforeAll(async () => {
  // The live wire form: frames carry the exchange's frame-level `ts` (the latency histogram needs it).
  gateway = await startTestGateway({ simulator: { wireForm: 'live' } });
});
afterAll(disposeAll);

describe('GET /metrics', () => {
  it('serves every family of the contract, process and request metrics, as Prometheus text', async () => {
    const { text, contentType } = await scrapeMetrics(gateway.port);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of FAMILIES) expect(text, family).toContain(`# TYPE ${family} `);
    expect(text).toContain('# TYPE coincall_gateway_delivery_latency_seconds histogram');
    expect(text).toContain('# TYPE coincall_gateway_upstream_reconnects_total counter');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    // Every transport is a label value from the start, multipart included.
    for (const transport of ['ws', 'sse', 'multipart']) expect(text).toContain(`coincall_gateway_connections{transport="${transport}"}`);
  });

  it('moves under traffic: subscriptions, connections, topics, frames, messages, latency, refusals, reconnects, drops', async () => {
    const before = (await scrapeMetrics(gateway.port)).samples;

    // A graphql-ws subscriber held open, and one SSE subscriber held open.
    const client = wsClient(gateway.wsUrl);
    const held = client.iterate(ORDER_BOOK);
    await held.next();
    const abort = new AbortController();
    const sseResponse = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(TRADES),
      signal: abort.signal,
    });
    const reader = sseResponse.body?.getReader();
    await reader?.read();
    // Traffic: trades on graphql-ws too, a refused argument, an unknown dt, a dropped upstream socket.
    expect(await take(client, TRADES, 2)).toHaveLength(2);
    // The index price carries the exchange's frame-level `ts`: the latency histogram observes it.
    expect(await take(client, { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { price } }' }, 2)).toHaveLength(2);
    const refused = await postGraphQL(gateway.url, { query: 'subscription { futuresTrades(symbol: "NOPE!") { price } }' });
    expect(JSON.stringify(refused.body)).toContain('BAD_USER_INPUT');
    gateway.simulator?.sendRaw('futures', '{"dt":999,"c":20,"d":{}}');
    gateway.simulator?.faults.dropConnections('futures');
    await waitFor(() => gateway.simulator !== undefined && gateway.simulator.connectionCount('futures') >= 1, 'futures reconnected');

    let during: Sample[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      during = (await scrapeMetrics(gateway.port)).samples;
      if (
        sumOf(during, 'coincall_gateway_upstream_reconnects_total', { market: 'futures' }) > 0 &&
        sumOf(during, 'coincall_gateway_messages_sent_total', { transport: 'sse' }) > 0
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const moved = (name: string, where: Record<string, string> = {}) => sumOf(during, name, where) - sumOf(before, name, where);

    expect(sumOf(during, 'coincall_gateway_subscriptions', { field: 'futuresOrderBook', transport: 'ws' })).toBe(1);
    expect(sumOf(during, 'coincall_gateway_subscriptions', { field: 'futuresTrades', transport: 'sse' })).toBe(1);
    expect(sumOf(during, 'coincall_gateway_connections', { transport: 'ws' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(during, 'coincall_gateway_connections', { transport: 'sse' })).toBe(1);
    expect(sumOf(during, 'coincall_gateway_upstream_connections', { market: 'futures', access: 'public' })).toBe(1);
    expect(sumOf(during, 'coincall_gateway_upstream_topics', { market: 'futures' })).toBeGreaterThanOrEqual(2);
    expect(moved('coincall_gateway_upstream_frames_total', { market: 'futures', channel: 'futuresOrderBook' })).toBeGreaterThan(0);
    expect(moved('coincall_gateway_upstream_frames_total', { market: 'futures', channel: 'futuresTrades' })).toBeGreaterThan(0);
    expect(moved('coincall_gateway_messages_sent_total', { transport: 'ws' })).toBeGreaterThanOrEqual(3);
    expect(moved('coincall_gateway_messages_sent_total', { transport: 'sse' })).toBeGreaterThanOrEqual(1);
    expect(moved('coincall_gateway_delivery_latency_seconds_count', { channel: 'futuresIndexPrice' })).toBeGreaterThan(0);
    expect(moved('coincall_gateway_refusals_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    expect(moved('coincall_gateway_dropped_frames_total', { cause: 'unknown_dt' })).toBe(1);
    expect(moved('coincall_gateway_upstream_reconnects_total', { market: 'futures', access: 'public' })).toBe(1);
    expect(moved('graphql_yoga_http_duration_count')).toBeGreaterThan(0);

    // The subscribers leave: the gauges go back down.
    await held.return?.();
    abort.abort();
    await client.dispose();
    let after: Sample[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      after = (await scrapeMetrics(gateway.port)).samples;
      if (sumOf(after, 'coincall_gateway_subscriptions') === 0 && sumOf(after, 'coincall_gateway_connections') === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sumOf(after, 'coincall_gateway_subscriptions')).toBe(0);
    expect(sumOf(after, 'coincall_gateway_connections')).toBe(0);
  });

  it('never labels with a symbol or an account', async () => {
    const client = wsClient(gateway.wsUrl, DEMO_CREDENTIAL);
    expect(await take(client, { query: 'subscription { accountBalance { userId } }' }, 1)).toHaveLength(1);
    expect(await take(client, ORDER_BOOK, 1)).toHaveLength(1);
    const { text, samples } = await scrapeMetrics(gateway.port);
    await client.dispose();
    expect(text).not.toContain('BTCUSD');
    expect(text).not.toContain(DEMO_CREDENTIAL.apiKey);
    const allowed = new Set([
      'field',
      'transport',
      'market',
      'access',
      'state',
      'channel',
      'cause',
      'action',
      'code',
      'le',
      'quantile',
      'version',
      'major',
      'minor',
      'patch',
      'type',
      'kind',
      'space',
      'operationType',
      'phase',
      'method',
      'statusCode',
      'reason',
      'result',
      // a cluster gap marker's fate: published, covered, said, failed
      'outcome',
      // a gateway key id (bounded by the keys file), `anonymous` when GATEWAY_AUTH=none
      'client',
    ]);
    for (const sample of samples)
      for (const label of Object.keys(sample.labels)) expect(allowed, `${sample.name}{${label}}`).toContain(label);
  });

  it('is served outside the connection cap and answers GET only', async () => {
    const post = await fetch(`http://127.0.0.1:${gateway.port}/metrics`, { method: 'POST' });
    expect(post.status).not.toBe(200);
  });
});

describe('METRICS=off', () => {
  it('serves no /metrics', async () => {
    expect(readConfig({ METRICS: 'off' })).toMatchObject({ ok: true, config: { metrics: false } });
    expect(readConfig({})).toMatchObject({ ok: true, config: { metrics: true } });
    expect(readConfig({ METRICS: 'maybe' }).ok).toBe(false);
    const off = await startTestGateway({ config: { metrics: false } });
    const response = await fetch(`http://127.0.0.1:${off.port}/metrics`);
    expect(response.status).toBe(404);
    await response.text();
  });
});

describe('the scrape-time families', () => {
  const status = (reconnects: number): UpstreamStatus => ({
    connections: [{ market: 'options', access: 'public', state: 'open', connectedSince: 0, reconnects, lastMessageAt: undefined }],
    topics: [],
    privateTopics: 0,
    privateCredentials: 0,
    refusedCredentials: 0,
    drops: { unknownDt: 1, undecodable: 2, unrouted: 3, oversized: 0 },
    reconnects: [{ market: 'options', access: 'public', count: reconnects }],
    frames: [{ market: 'options', channel: 'optionTrades', count: 10 }],
  });

  it('read the modules\u2019 plain counters at scrape time: slow subscribers, drops, reconnects, gate refusals', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let fanout = {
      groups: 0,
      members: 0,
      executions: 0,
      deliveries: 5,
      conflated: 2,
      tooSlow: 1,
      deliveredBy: { ws: 5, sse: 0, multipart: 0 },
    };
    let reconnects = 0;
    metrics.bind({ fanout: () => fanout, upstream: () => status(reconnects), gateRefusals: () => ({ TOO_MANY_CONNECTIONS: 4 }) });
    let samples = parsePrometheus(await metrics.render());
    expect(sumOf(samples, 'coincall_gateway_slow_subscribers_total', { action: 'conflated' })).toBe(2);
    expect(sumOf(samples, 'coincall_gateway_slow_subscribers_total', { action: 'closed' })).toBe(1);
    expect(sumOf(samples, 'coincall_gateway_dropped_frames_total', { cause: 'unrouted' })).toBe(3);
    expect(sumOf(samples, 'coincall_gateway_refusals_total', { code: 'TOO_MANY_CONNECTIONS' })).toBe(4);
    expect(sumOf(samples, 'coincall_gateway_messages_sent_total', { transport: 'ws' })).toBe(5);
    fanout = { ...fanout, conflated: 7, deliveries: 12, deliveredBy: { ws: 9, sse: 2, multipart: 1 } };
    reconnects = 3;
    metrics.refused('SOMETHING_UNHEARD_OF');
    samples = parsePrometheus(await metrics.render());
    expect(sumOf(samples, 'coincall_gateway_slow_subscribers_total', { action: 'conflated' })).toBe(7);
    expect(sumOf(samples, 'coincall_gateway_upstream_reconnects_total', { market: 'options', access: 'public' })).toBe(3);
    expect(sumOf(samples, 'coincall_gateway_messages_sent_total', { transport: 'ws' })).toBe(9);
    expect(sumOf(samples, 'coincall_gateway_messages_sent_total', { transport: 'sse' })).toBe(2);
    expect(sumOf(samples, 'coincall_gateway_messages_sent_total', { transport: 'multipart' })).toBe(1);
    expect(sumOf(samples, 'coincall_gateway_refusals_total', { code: 'OTHER' })).toBe(1);
  });

  it('observes latency from the frame timestamp, and skips frames without one', async () => {
    const metrics = createMetrics({ processMetrics: false, now: () => 10_000 });
    metrics.observeLatency('optionTrades', 9_970);
    metrics.observeLatency('optionTrades', undefined);
    const samples = parsePrometheus(await metrics.render());
    expect(sumOf(samples, 'coincall_gateway_delivery_latency_seconds_count', { channel: 'optionTrades' })).toBe(1);
    expect(sumOf(samples, 'coincall_gateway_delivery_latency_seconds_sum', { channel: 'optionTrades' })).toBeCloseTo(0.03);
    expect(sumOf(samples, 'coincall_gateway_delivery_latency_seconds_bucket', { channel: 'optionTrades', le: '0.025' })).toBe(0);
    expect(sumOf(samples, 'coincall_gateway_delivery_latency_seconds_bucket', { channel: 'optionTrades', le: '0.05' })).toBe(1);
  });

  it('binds a field\u2019s latency observer once, for a transport to keep (no label lookup per message)', async () => {
    const metrics = createMetrics({ processMetrics: false, now: () => 10_000 });
    const observe = metrics.latencyOf('futuresOrderBook');
    observe(9_000);
    observe(9_990);
    const samples = parsePrometheus(await metrics.render());
    expect(sumOf(samples, 'coincall_gateway_delivery_latency_seconds_count', { channel: 'futuresOrderBook' })).toBe(2);
    expect(sumOf(samples, 'coincall_gateway_delivery_latency_seconds_sum', { channel: 'futuresOrderBook' })).toBeCloseTo(1.01);
  });
});
