/**
 * Two replicas in one process on one stand-in exchange and one engine: a
 * client of either replica gets every trade once and the book, the
 * exchange sees one upstream subscription for the book and two for the trades
 * (CLUSTER_EVENT_PUBLISHERS = 2), status names the holders, and nothing of a
 * private channel (account, key, secret) ever reaches the engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { App } from '../../src/app.ts';
import { natsUrl as ownNatsUrl, startNatsServer, useOwnNatsServer } from '../helpers/nats-server.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { ALICE, captureLogs, disposeAll, onDispose, waitFor, wsClient, queryData } from '../helpers/gateway.ts';
import { wireTradeMaker } from '../helpers/upstream-trades.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TRADES_DT = 33;
const BOOK_DT = 32;
const BTC = { symbol: 'BTCUSD' };
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { id price } }';
const BOOK = 'subscription { futuresOrderBook(symbol: "BTCUSD") { bids { price } } }';

const wireTrades = wireTradeMaker();

/** A replica in this process, logging at debug under its node name. */
const replica = (exchange: FakeExchange, name: string, node: string, natsUrl?: string): Promise<App> =>
  startInProcessReplica(exchange, name, node, { logger: debugLogger(node), ...(natsUrl === undefined ? {} : { natsUrl }) });

/** The lease keys of the cluster's bucket, as they appear. */
async function watchLeases(name: string, servers = ownNatsUrl()): Promise<Set<string>> {
  const nc = await connect({ servers });
  onDispose(() => nc.close());
  const kv = await new Kvm(nc).open(`${name}_leases`);
  const keys = new Set<string>();
  const watch = await kv.watch({ key: 'lease.>' });
  void (async () => {
    for await (const entry of watch) if (entry.operation === 'PUT') keys.add(entry.key);
  })();
  onDispose(() => watch.stop());
  return keys;
}

const query = (app: App, text: string): Promise<unknown> => queryData(app.url, text);

async function dropEngine(name: string): Promise<void> {
  const nc = await connect({ servers: ownNatsUrl() });
  const jsm = await jetstreamManager(nc);
  for (const stream of [`${name}_events`, `${name}_state`, `KV_${name}_leases`]) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
}

const subscriptionsOf = (exchange: FakeExchange, dataType: string) =>
  exchange.connections.filter((c) => c.topics.has(`${dataType} ${JSON.stringify(BTC)}`)).length;

describe('two replicas on one engine', () => {
  it('share the upstream: one book subscription, two trades subscriptions; clients get every trade once', async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    onDispose(() => dropEngine(name));
    const a = await replica(exchange, name, 'a');
    const b = await replica(exchange, name, 'b');
    const got: { a: string[]; b: string[] } = { a: [], b: [] };
    for (const [app, list] of [
      [a, got.a],
      [b, got.b],
    ] as const) {
      wsClient(app.url.replace(/^http/, 'ws')).subscribe(
        { query: TRADES },
        {
          next: (r) => {
            const trades = (r.data as { futuresTrades?: Array<{ id: string }> } | null)?.futuresTrades ?? [];
            list.push(...trades.map((t) => t.id));
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
    }
    await waitFor(() => subscriptionsOf(exchange, 'lastTrade') === 2, 'both replicas holding the trades upstream', 10_000);
    let sent = 0;
    for (let i = 0; i < 10; i++) {
      exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
      sent += 3;
    }
    await waitFor(() => got.a.length >= sent && got.b.length >= sent, 'every trade at both replicas', 10_000);
    expect(new Set(got.a).size).toBe(sent);
    expect(got.b).toEqual(got.a);

    expect(await query(a, '{ status { cluster { node engine replicas topicsHeld } } }')).toEqual({
      status: { cluster: { node: 'a', engine: 'CONNECTED', replicas: ['a', 'b'], topicsHeld: 1 } },
    });
    const metrics = await (await fetch(a.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toContain('coincall_gateway_cluster_engine_up 1');
    expect(metrics).toContain('coincall_gateway_cluster_topics_held{market="futures"} 1');
    // Either holder may have stored a trade first: the other counted it a duplicate.
    expect(metrics).toMatch(/coincall_gateway_cluster_publishes_total\{result="(stored|duplicate)"\} [1-9]/);

    const books: unknown[] = [];
    wsClient(b.url.replace(/^http/, 'ws')).subscribe(
      { query: BOOK },
      { next: (r) => void books.push(r.data), error: () => undefined, complete: () => undefined },
    );
    wsClient(a.url.replace(/^http/, 'ws')).subscribe(
      { query: BOOK },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    await waitFor(() => subscriptionsOf(exchange, 'orderBook') === 1, 'one replica holding the book upstream', 10_000);
    exchange.publish(BOOK_DT, 'orderBook', BTC, [
      { s: 'BTCUSD', bids: [{ pr: '60000', v: '1' }], asks: [{ pr: '60001', v: '1' }], ts: 1_700_000_000_000 },
    ]);
    await waitFor(() => books.length >= 1, 'the book at b', 10_000);
    expect(subscriptionsOf(exchange, 'orderBook')).toBe(1);
  });

  it('keeps private channels out of the engine: no subject, message or key names an account, key or secret', async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    onDispose(() => dropEngine(name));
    const a = await replica(exchange, name, 'a');
    const client = wsClient(a.url.replace(/^http/, 'ws'), { apiKey: ALICE.apiKey, apiSecret: ALICE.apiSecret });
    client.subscribe(
      { query: 'subscription { futuresOrders { orderId } }' },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    client.subscribe({ query: TRADES }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await waitFor(() => exchange.connections.length >= 3, 'the private connection', 10_000);
    await waitFor(() => subscriptionsOf(exchange, 'lastTrade') === 1, 'the trades topic held', 10_000);
    const leased = await watchLeases(name);
    await waitFor(() => leased.size > 0, 'the trades lease taken', 10_000);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    const nc = await connect({ servers: ownNatsUrl() });
    onDispose(() => nc.close());
    const jsm = await jetstreamManager(nc);
    let everything = '';
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const info = await jsm.streams.info(`${name}_events`);
      if (info.state.messages >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const stream of [`${name}_events`, `${name}_state`, `KV_${name}_leases`]) {
      const info = await jsm.streams.info(stream, { subjects_filter: '>' });
      everything += JSON.stringify(info.state.subjects ?? {});
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (m !== null) everything += `${m.subject} ${new TextDecoder().decode(m.data)} ${m.header.toString()}`;
      }
    }
    expect(everything).toContain('BTCUSD');
    for (const secret of [ALICE.apiKey, ALICE.apiSecret, ALICE.userId, 'futuresOrders', 'orders', 'server-key', 'server-secret'])
      expect(everything).not.toContain(secret);
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    expect(everything).not.toContain(b64('futures:futuresOrders'));
  });
});
function debugLogger(node: string) {
  const logs = captureLogs();
  const print = process.env['CLUSTER_TEST_LOGS'] === '1';
  const make = (bindings: object): ReturnType<typeof captureLogs>['logger'] => {
    const at = (level: string) => (obj: object, msg?: string) => {
      if (print && level !== 'debug') console.error(node, level, msg, JSON.stringify({ ...bindings, ...obj }));
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  void logs;
  return make({});
}

describe('the engine killed and restarted', () => {
  it('clients keep getting every trade once from the own upstream, with no interruption where none was missed', async () => {
    const nats = await startNatsServer();
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const a = await replica(exchange, name, 'a', nats.url);
    const results: Array<{ ids: string[]; code: unknown }> = [];
    wsClient(a.url.replace(/^http/, 'ws')).subscribe(
      { query: TRADES },
      {
        next: (r) => {
          const trades = (r.data as { futuresTrades?: Array<{ id: string }> } | null)?.futuresTrades ?? [];
          results.push({ ids: trades.map((t) => t.id), code: r.errors?.[0]?.extensions?.['code'] });
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    const ids = () => results.flatMap((r) => r.ids);
    await waitFor(() => subscriptionsOf(exchange, 'lastTrade') === 1, 'the trades topic upstream', 10_000);
    const leased = await watchLeases(name, nats.url);
    await waitFor(() => leased.size > 0, 'the trades lease taken', 10_000);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => ids().length >= 3, 'the first trades through the engine', 10_000);
    await nats.kill();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => ids().length >= 6, 'trades from the own upstream while the engine is away', 10_000);
    await nats.start();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => ids().length >= 9, 'trades once the engine is back', 15_000);
    expect(new Set(ids()).size).toBe(ids().length);
    expect(results.filter((r) => r.code !== undefined)).toEqual([]);
  });
});
