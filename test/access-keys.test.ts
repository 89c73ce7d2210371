/**
 * GATEWAY_AUTH=keys on every transport: the key as `Authorization: Bearer`
 * (HTTP, SSE, the WebSocket upgrade) or `connectionParams.authorization`
 * (graphql-ws). Without one, or with an unknown one: HTTP 401
 * `UNAUTHENTICATED`, graphql-ws closes with 4403 and a reason. Refusals are
 * counted by reason, connections by key id; each connection, subscription
 * and refusal is logged at debug with its transport, address and key id; the
 * key never reaches a log. GraphiQL's headers pane says where the key goes.
 */
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_KEY_PLACEHOLDER } from '../src/server/graphiql/graphiql.ts';
import { bearer, post, webSocketWithHeaders, writeKeysFile } from './helpers/access.ts';
import { disposeAll, sse, startTestGateway, take, waitFor, wsClient, onDispose } from './helpers/gateway.ts';
import { pageOptions } from './helpers/graphiql-options.ts';
import { closeRawClients, closedWithin, RawClient } from './helpers/graphql-ws-raw.ts';
import { openHttpStream, SSE_ACCEPT } from './helpers/http-stream.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const KEY_A = 'ka_7QpL0vS2mN4xR8tY1wZ3cB6dF9gH5jK';
const PRICE = { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' };

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

async function keysGateway() {
  const keysFile = writeKeysFile([{ id: 'partner-a', key: KEY_A, scopes: ['public', 'private'] }]);
  return startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
}

describe('GATEWAY_AUTH=keys over HTTP', () => {
  it('answers 401 UNAUTHENTICATED without a key or with an unknown one, and the query with the key', async () => {
    const gateway = await keysGateway();
    const missing = await post(gateway.url, { query: '{ status { mode } }' });
    expect(missing.status).toBe(401);
    expect(missing.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const unknown = await post(gateway.url, { query: '{ status { mode } }' }, bearer('not-a-key'));
    expect(unknown.status).toBe(401);
    expect(unknown.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const ok = await post(gateway.url, { query: '{ status { mode } }' }, bearer(KEY_A));
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ status: { mode: 'SIMULATED' } });
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'missing' })).toBe(1);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'unknown' })).toBe(1);
  });

  it('streams SSE with the key and refuses it without', async () => {
    const gateway = await keysGateway();
    const refused = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(PRICE),
    });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const events = await sse(gateway.url, PRICE, 1, bearer(KEY_A));
    expect(events).toEqual([{ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } }]);
  });
});

describe('GATEWAY_AUTH=keys over graphql-ws', () => {
  it('closes a socket without a key with 4403 and a reason that says so', async () => {
    const gateway = await keysGateway();
    const client = await RawClient.connect(gateway.wsUrl);
    client.send({ type: 'connection_init' });
    const closed = await closedWithin(client);
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/A key is needed: connectionParams \{ authorization/);
  });

  it('closes a socket with an unknown key with 4403', async () => {
    const gateway = await keysGateway();
    const client = await RawClient.connect(gateway.wsUrl);
    client.send({ type: 'connection_init', payload: { authorization: 'Bearer wrong' } });
    const closed = await closedWithin(client);
    expect(closed).toEqual({ code: 4403, reason: 'The key presented is not valid for this gateway' });
  });

  it('serves a socket whose connectionParams carry the key, and counts it under the key id', async () => {
    const gateway = await keysGateway();
    const client = wsClient(gateway.wsUrl, { authorization: `Bearer ${KEY_A}` });
    const [result] = await take(client, PRICE, 1);
    expect(result).toEqual({ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } });
    const open = wsClient(gateway.wsUrl, { authorization: `Bearer ${KEY_A}` });
    await new Promise<void>((resolve) =>
      open.subscribe(PRICE, { next: () => resolve(), error: () => undefined, complete: () => undefined }),
    );
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_client_connections', { client: 'partner-a' })).toBe(1);
  });

  it('takes the key from connectionParams under any letter case of authorization, as HTTP header names', async () => {
    const gateway = await keysGateway();
    const client = wsClient(gateway.wsUrl, { Authorization: `Bearer ${KEY_A}` });
    const [result] = await take(client, PRICE, 1);
    expect(result).toEqual({ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } });
    await RawClient.ready(gateway.wsUrl, { AUTHORIZATION: `Bearer ${KEY_A}` });
  });

  it('serves a socket whose upgrade carries the key', async () => {
    const gateway = await keysGateway();
    const client = createClient({ url: gateway.wsUrl, webSocketImpl: webSocketWithHeaders(bearer(KEY_A)), retryAttempts: 0, lazy: true });
    onDispose(() => client.dispose());
    const [result] = await take(client, PRICE, 1);
    expect(result).toEqual({ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } });
  });

  it('never writes the key to a log line', async () => {
    const gateway = await keysGateway();
    await post(gateway.url, { query: '{ status { mode } }' }, bearer(KEY_A));
    await post(gateway.url, { query: '{ status { mode } }' }, bearer(`${KEY_A}x`));
    const client = wsClient(gateway.wsUrl, { authorization: `Bearer ${KEY_A}` });
    await take(client, PRICE, 1);
    expect(gateway.logs.text()).not.toContain(KEY_A);
  });
});

describe('debug log lines of access', () => {
  it('name the transport, address and key id of each connection and subscription, and of a refusal, never the key', async () => {
    const gateway = await keysGateway();
    const client = await RawClient.ready(gateway.wsUrl, { authorization: `Bearer ${KEY_A}` });
    client.subscribe('1', PRICE.query);
    await client.waitFor((m) => m.id === '1' && m.type === 'next');
    const stream = await openHttpStream(gateway.url, SSE_ACCEPT, PRICE, bearer(KEY_A));
    await waitFor(() => stream.text().includes('event: next'), 'the SSE stream');
    await post(gateway.url, { query: '{ status { mode } }' }, bearer(`${KEY_A}x`));
    const debug = (msg: string) => gateway.logs.lines.filter((l) => l.level === 'debug' && l.msg === msg).map((l) => l.obj);
    const a = { address: '127.0.0.1', client: 'partner-a' };
    expect(debug('connection opened')).toEqual(
      expect.arrayContaining([expect.objectContaining({ transport: 'ws', ...a }), expect.objectContaining({ transport: 'sse', ...a })]),
    );
    expect(debug('subscription started')).toContainEqual(expect.objectContaining({ transport: 'ws', ...a, operation: '1' }));
    expect(debug('access refused')).toContainEqual(expect.objectContaining({ transport: 'http', address: '127.0.0.1', reason: 'unknown' }));
    client.send({ id: '1', type: 'complete' });
    stream.close();
    client.close();
    await waitFor(() => debug('connection closed').length >= 2, 'the connections closed');
    expect(debug('subscription ended')).toContainEqual(expect.objectContaining({ transport: 'ws', ...a, operation: '1' }));
    expect(debug('connection closed')).toEqual(
      expect.arrayContaining([expect.objectContaining({ transport: 'ws', ...a }), expect.objectContaining({ transport: 'sse', ...a })]),
    );
    expect(gateway.logs.text()).not.toContain(KEY_A);
  });
});

describe('GATEWAY_AUTH=none', () => {
  it('says at start that the gateway is open, and counts connections as anonymous', async () => {
    const gateway = await startTestGateway();
    expect(gateway.logs.text()).toMatch(/GATEWAY_AUTH=none: the gateway is open/);
    const client = wsClient(gateway.wsUrl);
    await take(client, PRICE, 1);
    const { samples } = await scrapeMetrics(gateway.port);
    expect(samples.some((s) => s.name === 'coincall_gateway_client_connections' && s.labels['client'] === 'anonymous')).toBe(true);
  });
});

describe('GraphiQL with GATEWAY_AUTH on', () => {
  it('serves the page without a key, the headers pane of every tab prefilled with where the key goes', async () => {
    const gateway = await keysGateway();
    const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const options = pageOptions(await page.text());
    const placeholder = { Authorization: GATEWAY_KEY_PLACEHOLDER };
    expect(GATEWAY_KEY_PLACEHOLDER).toMatch(/^Bearer <your gateway key \(GATEWAY_AUTH is on\): replace this text with it>$/);
    expect(JSON.parse(options.initialHeaders ?? 'null')).toMatchObject(placeholder);
    expect(JSON.parse(options.defaultHeaders ?? 'null')).toMatchObject(placeholder);
    expect(options.defaultTabs?.length).toBeGreaterThan(1);
    for (const tab of options.defaultTabs ?? []) expect(JSON.parse(tab.headers ?? 'null')).toMatchObject(placeholder);
  });

  it('is not served with GRAPHIQL=off', async () => {
    const gateway = await startTestGateway({ config: { access: { mode: 'none', graphiql: 'off' } } });
    const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    await page.body?.cancel();
    expect((await post(gateway.url, { query: '{ status { mode } }' })).status).toBe(200);
  });
});
