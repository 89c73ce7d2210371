/**
 * Scopes of a gateway key: `public` (market channels, their queries,
 * `status`), `private` (account channels), `any-document` (introspection
 * here). A field outside the scopes is `FORBIDDEN` in band: a query's other
 * fields answer, and a graphql-ws socket goes on with its other operations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, post, writeKeysFile } from './helpers/access.ts';
import { DEMO_CREDENTIAL, disposeAll, startTestGateway, take, wsClient } from './helpers/gateway.ts';
import { closeRawClients, RawClient } from './helpers/graphql-ws-raw.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const PUBLIC_KEY = 'kp_public_0123456789abcdefghijklmn';
const PRIVATE_KEY = 'kp_private_0123456789abcdefghijklm';
const TOOLS_KEY = 'kp_tools_0123456789abcdefghijklmno';
const PRICE = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';
const BALANCE = 'subscription { accountBalance { userId } }';

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

async function scopedGateway() {
  const keysFile = writeKeysFile([
    { id: 'public-only', key: PUBLIC_KEY, scopes: ['public'] },
    { id: 'private-only', key: PRIVATE_KEY, scopes: ['private'] },
    { id: 'tools', key: TOOLS_KEY, scopes: ['public', 'private', 'any-document'] },
  ]);
  return startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
}

const coincallHeaders = { 'x-coincall-api-key': DEMO_CREDENTIAL.apiKey, 'x-coincall-api-secret': DEMO_CREDENTIAL.apiSecret };

describe('a query with a field outside the key scopes', () => {
  it('answers the other fields and that one null with FORBIDDEN', async () => {
    const gateway = await scopedGateway();
    const answer = await post(
      gateway.url,
      { query: '{ status { mode } balance: accountBalance { userId } }' },
      { ...bearer(PUBLIC_KEY), ...coincallHeaders },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ status: { mode: 'SIMULATED' }, balance: null });
    expect(answer.body.errors).toEqual([
      {
        message: 'accountBalance needs the "private" scope, which key public-only does not have.',
        path: ['balance'],
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'scope' })).toBe(1);
  });

  it('answers a private field for a key with the private scope', async () => {
    const gateway = await scopedGateway();
    const answer = await post(gateway.url, { query: '{ accountBalance { userId } }' }, { ...bearer(TOOLS_KEY), ...coincallHeaders });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.['accountBalance']).toEqual({ userId: expect.any(String) as unknown });
  });

  it('refuses a forbidden field hidden in a root fragment with the whole query', async () => {
    const gateway = await scopedGateway();
    const answer = await post(
      gateway.url,
      { query: '{ status { mode } ... on Query { accountBalance { userId } } }' },
      { ...bearer(PUBLIC_KEY), ...coincallHeaders },
    );
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('a subscription outside the key scopes over graphql-ws', () => {
  it('is refused in band while the socket goes on with the rest', async () => {
    const gateway = await scopedGateway();
    const client = await RawClient.ready(gateway.wsUrl, { authorization: `Bearer ${PUBLIC_KEY}`, ...DEMO_CREDENTIAL });
    client.subscribe('price', PRICE);
    await client.waitFor((m) => m.id === 'price' && m.type === 'next');
    client.subscribe('balance', BALANCE);
    const refused = await client.waitFor((m) => m.id === 'balance' && m.type === 'error');
    expect(refused.payload).toEqual([
      { message: 'accountBalance needs the "private" scope, which key public-only does not have.', extensions: { code: 'FORBIDDEN' } },
    ]);
    const from = client.messages.length;
    await client.waitFor((m) => m.id === 'price' && m.type === 'next', from);
    expect(client.isOpen).toBe(true);
  });

  it('refuses a market channel to a private-only key', async () => {
    const gateway = await scopedGateway();
    const client = wsClient(gateway.wsUrl, { authorization: `Bearer ${PRIVATE_KEY}`, ...DEMO_CREDENTIAL });
    const [refused] = await take(client, { query: PRICE }, 1);
    expect(JSON.stringify(refused)).toContain('FORBIDDEN');
    const [balance] = await take(client, { query: BALANCE }, 1);
    expect(balance).toEqual({ data: { accountBalance: { userId: expect.any(String) as unknown } } });
  });

  it('refuses the same over SSE', async () => {
    const gateway = await scopedGateway();
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...bearer(PUBLIC_KEY), ...coincallHeaders },
      body: JSON.stringify({ query: BALANCE }),
    });
    const text = await res.text();
    expect(text).toContain('FORBIDDEN');
  });
});

describe('introspection with GATEWAY_AUTH on', () => {
  it('is refused to a key without any-document and answered to one with it', async () => {
    const gateway = await scopedGateway();
    const refused = await post(gateway.url, { query: '{ __schema { queryType { name } } }' }, bearer(PUBLIC_KEY));
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.message).toMatch(/Introspection is off for this key/);
    const answered = await post(gateway.url, { query: '{ __schema { queryType { name } } }' }, bearer(TOOLS_KEY));
    expect(answered.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('follows INTROSPECTION=on for every key', async () => {
    const keysFile = writeKeysFile([{ id: 'public-only', key: PUBLIC_KEY, scopes: ['public'] }]);
    const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile, introspection: 'on' } } });
    const answered = await post(gateway.url, { query: '{ __type(name: "Query") { name } }' }, bearer(PUBLIC_KEY));
    expect(answered.body.data).toEqual({ __type: { name: 'Query' } });
  });

  it('follows INTROSPECTION=off with GATEWAY_AUTH=none', async () => {
    const gateway = await startTestGateway({ config: { access: { mode: 'none', introspection: 'off' } } });
    const refused = await post(gateway.url, { query: '{ __schema { queryType { name } } }' });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});
