/**
 * A key's own limits, seen by the operator: each refusal for maxConnections
 * (a socket closed with 1013, an SSE or multipart stream refused in band) or
 * maxSubscriptions (a subscribe refused in band) counts in
 * `coincall_gateway_refusals_total{code="LIMIT_EXCEEDED"}` and in
 * `coincall_gateway_auth_refusals_total{reason}` (`max_connections`,
 * `max_subscriptions`), and is logged at debug as "access refused" with its
 * transport, address, key id and limit; never the key. What the client sees
 * is tested in access-limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, subscriptionBeyondTwo, writeKeysFile } from './helpers/access.ts';
import { disposeAll, startTestGateway, waitFor } from './helpers/gateway.ts';
import { closeRawClients, closedWithin, RawClient } from './helpers/graphql-ws-raw.ts';
import { MULTIPART_ACCEPT, openHttpStream, SSE_ACCEPT } from './helpers/http-stream.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const KEY_A = 'kr_partner_a_0123456789abcdefghijk';
const PRICE = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

const auth = { authorization: `Bearer ${KEY_A}` };

async function limitedGateway() {
  const keysFile = writeKeysFile([{ id: 'partner-a', key: KEY_A, maxConnections: 2, maxSubscriptions: 2 }]);
  return startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
}

describe("refusals for a key's own limits", () => {
  it('are counted by code and by limit, and logged at debug naming the key id', async () => {
    const gateway = await limitedGateway();
    const metric = async (name: string, labels: Record<string, string>) => sumOf((await scrapeMetrics(gateway.port)).samples, name, labels);
    expect(await metric('coincall_gateway_refusals_total', { code: 'LIMIT_EXCEEDED' })).toBe(0);

    // maxSubscriptions: two run, the third is refused in band.
    const { refused } = await subscriptionBeyondTwo(gateway.wsUrl, auth);
    expect(JSON.stringify(refused.payload)).toContain('LIMIT_EXCEEDED');
    expect(await metric('coincall_gateway_refusals_total', { code: 'LIMIT_EXCEEDED' })).toBe(1);
    expect(await metric('coincall_gateway_auth_refusals_total', { reason: 'max_subscriptions' })).toBe(1);

    // maxConnections: a third socket closes with 1013; an SSE and a multipart stream are refused in band.
    const third = await RawClient.connect(gateway.wsUrl);
    third.send({ type: 'connection_init', payload: auth });
    expect((await closedWithin(third)).code).toBe(1013);
    for (const accept of [SSE_ACCEPT, MULTIPART_ACCEPT]) {
      const stream = await openHttpStream(gateway.url, accept, { query: PRICE }, bearer(KEY_A));
      await waitFor(() => stream.ended(), `the refused ${accept} answer`);
      expect(stream.text()).toContain('LIMIT_EXCEEDED');
    }
    expect(await metric('coincall_gateway_refusals_total', { code: 'LIMIT_EXCEEDED' })).toBe(4);
    expect(await metric('coincall_gateway_auth_refusals_total', { reason: 'max_connections' })).toBe(3);
    expect(await metric('coincall_gateway_auth_refusals_total', { reason: 'max_subscriptions' })).toBe(1);

    const refusals = gateway.logs.lines.filter((l) => l.level === 'debug' && l.msg === 'access refused').map((l) => l.obj);
    const a = { address: '127.0.0.1', client: 'partner-a' };
    expect(refusals).toEqual([
      expect.objectContaining({ transport: 'ws', ...a, operation: '3', reason: 'max_subscriptions', limit: 2 }),
      expect.objectContaining({ transport: 'ws', ...a, reason: 'max_connections', limit: 2 }),
      expect.objectContaining({ transport: 'sse', ...a, reason: 'max_connections', limit: 2 }),
      expect.objectContaining({ transport: 'multipart', ...a, reason: 'max_connections', limit: 2 }),
    ]);
    expect(gateway.logs.text()).not.toContain(KEY_A);
  });

  it('count a stream refused for maxSubscriptions (its connection admitted, then let go)', async () => {
    const keysFile = writeKeysFile([{ id: 'partner-a', key: KEY_A, maxSubscriptions: 1 }]);
    const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
    const socket = await RawClient.ready(gateway.wsUrl, auth);
    socket.subscribe('1', PRICE);
    await socket.waitFor((m) => m.id === '1' && m.type === 'next');
    const stream = await openHttpStream(gateway.url, SSE_ACCEPT, { query: PRICE }, bearer(KEY_A));
    await waitFor(() => stream.ended(), 'the refused SSE answer');
    expect(stream.text()).toContain('LIMIT_EXCEEDED');
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_refusals_total', { code: 'LIMIT_EXCEEDED' })).toBe(1);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'max_subscriptions' })).toBe(1);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'max_connections' })).toBe(0);
    expect(sumOf(samples, 'coincall_gateway_client_connections', { client: 'partner-a' })).toBe(1);
  });
});
