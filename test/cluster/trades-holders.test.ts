/**
 * Who holds a topic upstream, replicas in one process on one stand-in exchange
 * and the test file's own NATS: a trades topic whose only subscriber is on one
 * replica still gets `CLUSTER_EVENT_PUBLISHERS` (2) holders, the other one
 * taking a slot for that replica's interest (both subscribed upstream, both
 * named in `status`), until the subscriber leaves; a book's lease released by
 * its holder's graceful stop is a handover to the next holder, not a takeover
 * (`coincall_gateway_cluster_handovers_total`, not `_takeovers_total`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { clusterNames, type ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor, wsClient, queryData } from '../helpers/gateway.ts';
import { wireTradeMaker } from '../helpers/upstream-trades.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TRADES_DT = 33;
const BOOK_DT = 32;
/** The in-process replicas' lease TTL (`in-process-replica.ts`). */
const LEASE_TTL_MS = 3_000;
const BOOK_TOPIC: ClusterTopic = { id: 'futures:futuresOrderBook:BTCUSD', kind: 'state', market: 'futures' };
const BTC = { symbol: 'BTCUSD' };
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { id } }';
const BOOK = 'subscription { futuresOrderBook(symbol: "BTCUSD") { bids { price } } }';
/** A lease TTL of the in-process replicas (3 s) and a few rounds more. */
const STEP_MS = 10_000;

const wireTrades = wireTradeMaker();

const subscriptionsOf = (exchange: FakeExchange, dataType: string) =>
  exchange.connections.filter((c) => c.topics.has(`${dataType} ${JSON.stringify(BTC)}`)).length;

const query = (app: App, text: string): Promise<unknown> => queryData(app.url, text);

/** A subscription of `app`; its ids (trades) or results (a book) as they come, and its end. */
function subscribe(app: App, text: string) {
  const got: unknown[] = [];
  const client = wsClient(app.url.replace(/^http/, 'ws'));
  client.subscribe({ query: text }, { next: (r) => void got.push(r.data), error: () => undefined, complete: () => undefined });
  return { got, close: () => client.dispose() };
}

/** The puts of `node`'s interest in the futures book (each third of the lease TTL, as its holdings rounds). */
async function interestBeats(name: string, node: string): Promise<{ count: number }> {
  const nc = await connect({ servers: natsUrl() });
  onDispose(() => nc.close());
  const kv = await new Kvm(nc).create(clusterNames(name).bucket, { ttl: LEASE_TTL_MS, history: 1 });
  const beats = { count: 0 };
  const watch = await kv.watch({ key: clusterNames(name).interestKey(BOOK_TOPIC, node) });
  void (async () => {
    for await (const entry of watch) if (entry.operation === 'PUT') beats.count += 1;
  })();
  onDispose(() => watch.stop());
  return beats;
}

/** The value of a counter without labels in `app`'s /metrics. */
async function counter(app: App, name: string): Promise<number> {
  const text = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

describe('trades holders', () => {
  it('a trades topic read on one replica only is held by two replicas, both upstream, until its subscriber leaves', async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const a = await startInProcessReplica(exchange, name, 'a');
    const b = await startInProcessReplica(exchange, name, 'b');
    const atA = subscribe(a, TRADES);
    await waitFor(() => subscriptionsOf(exchange, 'lastTrade') === 2, 'both replicas subscribed to the trades upstream', STEP_MS);
    expect(await query(a, '{ status { topics { channel key holders } } }')).toEqual({
      status: { topics: [{ channel: 'futuresTrades', key: 'BTCUSD', holders: ['a', 'b'] }] },
    });
    expect(await query(b, '{ status { cluster { topicsHeld } topics { key } } }')).toEqual({
      status: { cluster: { topicsHeld: 1 }, topics: [] },
    });
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => atA.got.length >= 1, 'the trades at a', STEP_MS);
    atA.close();
    await waitFor(() => subscriptionsOf(exchange, 'lastTrade') === 0, 'both holders released once the interest is gone', STEP_MS);
    expect(await query(b, '{ status { cluster { topicsHeld } } }')).toEqual({ status: { cluster: { topicsHeld: 0 } } });
  });

  it("a holder's graceful stop hands its lease over: the next holder counts a handover, no takeover", async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const a = await startInProcessReplica(exchange, name, 'a');
    subscribe(a, BOOK);
    await waitFor(() => subscriptionsOf(exchange, 'orderBook') === 1, 'a holding the book upstream', STEP_MS);
    const beats = await interestBeats(name, 'b');
    const b = await startInProcessReplica(exchange, name, 'b');
    const atB = subscribe(b, BOOK);
    exchange.publish(BOOK_DT, 'orderBook', BTC, [{ s: 'BTCUSD', bids: [{ pr: '60000', v: '1' }], asks: [], ts: 1_700_000_000_000 }]);
    await waitFor(() => atB.got.length >= 1, "the book at b, from a's lease", STEP_MS);
    // b's rounds (one per beat of its interest key) find a holding the lease.
    const seen = beats.count;
    await waitFor(() => beats.count >= seen + 2, "two more beats of b's interest", STEP_MS);
    await a.close();
    await waitFor(() => subscriptionsOf(exchange, 'orderBook') === 1, 'b holding the book upstream', STEP_MS);
    expect(await query(b, '{ status { cluster { topicsHeld } } }')).toEqual({ status: { cluster: { topicsHeld: 1 } } });
    expect(await counter(b, 'coincall_gateway_cluster_handovers_total')).toBe(1);
    expect(await counter(b, 'coincall_gateway_cluster_takeovers_total')).toBe(0);
  });
});
