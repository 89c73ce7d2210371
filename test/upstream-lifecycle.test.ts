/**
 * The upstream connection's life against a scripted exchange endpoint over
 * real sockets: every (re)connect carries a freshly signed URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readConnectQuery, verifyConnectQuery } from '../src/coincall/signing.ts';
import { createUpstream, type Upstream, type UpstreamOptions } from '../src/upstream/gateway.ts';
import { captureLogs, waitFor } from './helpers/gateway.ts';
import { startFakeExchange, type FakeExchange, type FakeExchangeOptions } from './helpers/fake-exchange.ts';

const SERVER_KEY = { apiKey: 'server+KEY/0000==', apiSecret: 'server-secret' };

let exchange: FakeExchange | undefined;
let upstream: Upstream | undefined;
afterEach(async () => {
  upstream?.close();
  upstream = undefined;
  await exchange?.close();
  exchange = undefined;
});

async function start(exchangeOptions: FakeExchangeOptions = {}, overrides: Partial<UpstreamOptions> = {}) {
  exchange = await startFakeExchange(exchangeOptions);
  const logs = captureLogs();
  upstream = createUpstream({
    urls: exchange.urls,
    serverCredential: SERVER_KEY,
    logger: logs.logger,
    lingerMs: 20,
    connectionLingerMs: 20,
    backoff: () => 10,
    ...overrides,
  });
  await waitFor(() => upstream?.ready() === true, 'both public connections open');
  return { exchange, upstream, logs };
}

describe('signing', () => {
  it('signs the URL afresh on every reconnect', async () => {
    const { exchange } = await start();
    const futuresUpgrades = () => exchange.upgrades.filter((u) => u.startsWith('/futures?'));
    for (let drop = 1; drop <= 2; drop++) {
      exchange.dropAll();
      await waitFor(() => futuresUpgrades().length === 1 + drop, `reconnect ${drop}`);
    }
    const queries = futuresUpgrades().map((u) => u.slice(u.indexOf('?') + 1));
    const stamps = queries.map((q) => readConnectQuery(q).get('ts'));
    const signs = queries.map((q) => readConnectQuery(q).get('sign'));
    expect(new Set(stamps).size).toBe(3);
    expect(new Set(signs).size).toBe(3);
    for (const q of queries) {
      const ts = Number(readConnectQuery(q).get('ts'));
      expect(verifyConnectQuery(q, (key) => (key === SERVER_KEY.apiKey ? SERVER_KEY.apiSecret : undefined), ts)).toEqual({ ok: true, apiKey: SERVER_KEY.apiKey });
    }
  });
});
