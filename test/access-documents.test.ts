/**
 * Trusted documents (TRUSTED_DOCUMENTS_FILE, GraphQL Code Generator's
 * `persisted-documents.json`): a listed document runs when named by
 * `documentId`, by Apollo's `extensions.persistedQuery.sha256Hash`, or sent as
 * its exact text (graphql-ws clients need no change); anything else is
 * `PERSISTED_QUERY_NOT_FOUND`, unless the key has the `any-document` scope.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, post, writeKeysFile, writeTempFile } from './helpers/access.ts';
import { disposeAll, startTestGateway } from './helpers/gateway.ts';
import { closeRawClients, RawClient } from './helpers/graphql-ws-raw.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const STATUS = 'query Status { status { mode } }';
const PRICE = 'subscription Price { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';
const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const TOOLS_KEY = 'kd_tools_0123456789abcdefghijklmno';
const APP_KEY = 'kd_app_0123456789abcdefghijklmnopq';

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

const manifest = () => writeTempFile('persisted-documents.json', JSON.stringify({ [hash(STATUS)]: STATUS, [hash(PRICE)]: PRICE }));

describe('TRUSTED_DOCUMENTS_FILE on an open gateway', () => {
  it('runs a listed document by documentId, Apollo hash or exact text, and refuses any other', async () => {
    const gateway = await startTestGateway({ config: { access: { mode: 'none', trustedDocumentsFile: manifest() } } });
    const expected = { status: { mode: 'SIMULATED' } };
    expect((await post(gateway.url, { documentId: hash(STATUS) })).body.data).toEqual(expected);
    expect((await post(gateway.url, { documentId: `sha256:${hash(STATUS)}` })).body.data).toEqual(expected);
    const apollo = await post(gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash(STATUS) } } });
    expect(apollo.body.data).toEqual(expected);
    expect((await post(gateway.url, { query: STATUS })).body.data).toEqual(expected);
    const get = await fetch(`${gateway.url}?documentId=${hash(STATUS)}`, { headers: { accept: 'application/json' } });
    expect(((await get.json()) as { data: unknown }).data).toEqual(expected);
    const other = await post(gateway.url, { query: '{ status { version } }' });
    expect(other.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(other.body.data ?? null).toBeNull();
    const unknownId = await post(gateway.url, { documentId: hash('nothing') });
    expect(unknownId.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_auth_refusals_total', { reason: 'document' })).toBe(2);
  });

  it('applies the same on graphql-ws: exact text runs, any other document is refused in band', async () => {
    const gateway = await startTestGateway({ config: { access: { mode: 'none', trustedDocumentsFile: manifest() } } });
    const client = await RawClient.ready(gateway.wsUrl);
    client.subscribe('1', PRICE);
    await client.waitFor((m) => m.id === '1' && m.type === 'next');
    client.subscribe('2', 'subscription { futuresIndexPrice(symbol: "ETHUSD") { symbol } }');
    const refused = await client.waitFor((m) => m.id === '2' && m.type === 'error');
    expect(JSON.stringify(refused.payload)).toContain('PERSISTED_QUERY_NOT_FOUND');
    expect(client.isOpen).toBe(true);
  });

  it('applies the same on SSE', async () => {
    const gateway = await startTestGateway({ config: { access: { mode: 'none', trustedDocumentsFile: manifest() } } });
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { futuresIndexPrice(symbol: "ETHUSD") { symbol } }' }),
    });
    expect(await res.text()).toContain('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('TRUSTED_DOCUMENTS_FILE with keys', () => {
  it('lets a key with any-document run any document, and holds others to the list', async () => {
    const keysFile = writeKeysFile([
      { id: 'tools', key: TOOLS_KEY, scopes: ['public', 'any-document'] },
      { id: 'app', key: APP_KEY, scopes: ['public'] },
    ]);
    const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile, trustedDocumentsFile: manifest() } } });
    const query = { query: '{ status { version } }' };
    expect((await post(gateway.url, query, bearer(TOOLS_KEY))).body.data).toEqual({ status: { version: expect.any(String) as unknown } });
    expect((await post(gateway.url, query, bearer(APP_KEY))).body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(gateway.url, { documentId: hash(STATUS) }, bearer(APP_KEY))).body.data).toEqual({ status: { mode: 'SIMULATED' } });
  });

  it('refuses a manifest whose hashes do not match their documents at start', async () => {
    const lying = writeTempFile('persisted-documents.json', JSON.stringify({ [hash('other')]: STATUS }));
    await expect(startTestGateway({ config: { access: { mode: 'none', trustedDocumentsFile: lying } } })).rejects.toThrow(
      /does not hash to it/,
    );
  });
});
