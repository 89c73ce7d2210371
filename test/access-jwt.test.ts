/**
 * GATEWAY_AUTH=jwt: tokens signed in the test with keys it generates,
 * verified against a PEM public key or a JWKS served from a local HTTP
 * server; issuer, audience and `exp` checked; `sub` is the key id and `scope`
 * the scopes. A graphql-ws connection ends (4403 "token expired") when its
 * token expires.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, jwtGateway, post, signToken, TEST_AUDIENCE as AUDIENCE, TEST_ISSUER as ISSUER } from './helpers/access.ts';
import { disposeAll, onDispose, startTestGateway } from './helpers/gateway.ts';
import { closeRawClients, closedWithin, RawClient } from './helpers/graphql-ws-raw.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const STATUS = { query: '{ status { mode } }' };

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

const token = signToken;

const pemGateway = jwtGateway;

describe('GATEWAY_AUTH=jwt with a PEM public key', () => {
  it('answers a valid token and refuses a wrong audience, a foreign signer and an expired token', async () => {
    const { gateway, privateKey } = await pemGateway();
    const ok = await post(gateway.url, STATUS, bearer(await token(privateKey)));
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ status: { mode: 'SIMULATED' } });
    expect((await post(gateway.url, STATUS, bearer(await token(privateKey, { aud: 'someone-else' })))).status).toBe(401);
    const foreign = await generateKeyPair('RS256');
    expect((await post(gateway.url, STATUS, bearer(await token(foreign.privateKey)))).status).toBe(401);
    const expired = await post(gateway.url, STATUS, bearer(await token(privateKey, { exp: Math.floor(Date.now() / 1000) - 60 })));
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'expired' })).toBe(1);
    // No token (nor a piece of its signature) reaches a log line or a status answer.
    const used = await token(privateKey);
    const status = await post(gateway.url, { query: '{ status { mode version } }' }, bearer(used));
    const signature = used.split('.')[2] ?? used;
    expect(gateway.logs.text()).not.toContain(signature);
    expect(JSON.stringify(status.body)).not.toContain(signature);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'unknown' })).toBe(2);
  });

  it('takes the scopes from the scope claim', async () => {
    const { gateway, privateKey } = await pemGateway();
    const answer = await post(gateway.url, { query: '{ __schema { queryType { name } } }' }, bearer(await token(privateKey)));
    expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const tools = await token(privateKey, { scope: 'public any-document' });
    expect((await post(gateway.url, { query: '{ __schema { queryType { name } } }' }, bearer(tools))).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
  });

  it('closes a graphql-ws connection with 4403 "token expired" when its token expires', async () => {
    const { gateway, privateKey } = await pemGateway();
    const exp = Math.floor(Date.now() / 1000) + 2;
    const client = await RawClient.ready(gateway.wsUrl, { authorization: `Bearer ${await token(privateKey, { exp })}` });
    client.subscribe('1', 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }');
    await client.waitFor((m) => m.id === '1' && m.type === 'next');
    const closed = await closedWithin(client, 5_000);
    expect(closed).toEqual({ code: 4403, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
  });
});

describe('GATEWAY_AUTH=jwt with a JWKS', () => {
  it('verifies tokens against the keys the JWKS URL serves', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onDispose(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const gateway = await startTestGateway({ config: { access: { mode: 'jwt', jwt: { jwksUrl, issuer: ISSUER, audience: AUDIENCE } } } });
    expect((await post(gateway.url, STATUS, bearer(await token(privateKey, { kid: 'k1' })))).status).toBe(200);
    const client = await RawClient.ready(gateway.wsUrl, { authorization: `Bearer ${await token(privateKey, { kid: 'k1' })}` });
    expect(client.isOpen).toBe(true);
    const other = await generateKeyPair('RS256');
    expect((await post(gateway.url, STATUS, bearer(await token(other.privateKey, { kid: 'k1' })))).status).toBe(401);
  });
});
