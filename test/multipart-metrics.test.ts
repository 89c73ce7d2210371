/**
 * Issue 22, hole 7's label: a multipart subscription (Apollo Client's
 * `HttpLink`) is counted as transport="multipart" in `/metrics`, whatever
 * letter case and parameter form its `Accept` takes, never as "sse".
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, onDispose, startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

/** Opens a streaming POST and resolves once its body has shown `until`; the response stays open until disposal. */
function openStream(url: string, accept: string, query: string, until: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { accept, 'content-type': 'application/json' } }, (res) => {
      onDispose(() => void res.destroy());
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
        if (body.includes(until)) resolve(res);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(disposeAll);

describe('the transport label of HTTP subscriptions', () => {
  it('counts multipart subscriptions as multipart and SSE ones as sse', async () => {
    const url = `${gateway.url}/graphql`;
    const query = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol price } }';
    // Apollo Client's own Accept, another spelling of it, and SSE.
    await openStream(url, 'multipart/mixed;subscriptionSpec="1.0",application/json', query, '"futuresIndexPrice"');
    await openStream(url, 'application/json, Multipart/Mixed; SubscriptionSpec=1.0', query, '"futuresIndexPrice"');
    await openStream(url, 'text/event-stream', query, '"futuresIndexPrice"');

    const { samples } = await scrapeMetrics(Number(new URL(gateway.url).port));
    const live = (transport: string) => sumOf(samples, 'coincall_gateway_subscriptions', { field: 'futuresIndexPrice', transport });
    expect({ multipart: live('multipart'), sse: live('sse') }).toEqual({ multipart: 2, sse: 1 });
    expect(sumOf(samples, 'coincall_gateway_connections', { transport: 'multipart' })).toBe(2);
    expect(sumOf(samples, 'coincall_gateway_connections', { transport: 'sse' })).toBe(1);
  });
});
