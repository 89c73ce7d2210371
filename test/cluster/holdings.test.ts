/**
 * Leases per topic across replicas (in-process replicas, each with its own
 * engine connection, against a real NATS 2.9): one holder per state topic, two
 * per trades topic (a second one taken by a replica without subscribers of
 * it), takeover when a holder's connection dies or its lease expires, a
 * handover (not a takeover) when its holder released it, release when no
 * replica has interest any more, presence of replicas.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/sources/cluster/engine.ts';
import { createHoldings, type Holdings } from '../../src/sources/cluster/holdings.ts';
import { createPresence, type Presence } from '../../src/sources/cluster/presence.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { engineSettings, testEngine, uniqueClusterName } from '../helpers/cluster-engine.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TTL = 900;
const BOOK: ClusterTopic = { id: 'options:optionOrderBook:{"symbol":"X"}', kind: 'state', market: 'options' };
const TRADES: ClusterTopic = { id: 'options:optionTrades:{"symbol":"X"}', kind: 'event', market: 'options' };
/** Topics as the cluster source names them (`clusterTopicOf`): a real trades topic, and a private channel's. */
const BTC_TRADES: ClusterTopic = { id: 'futures:futuresTrades:BTCUSD', kind: 'event', market: 'futures' };
const BTC_ORDERS: ClusterTopic = { id: 'futures:futuresOrders:BTCUSD', kind: 'event', market: 'futures' };
const BOOK_2: ClusterTopic = { id: 'options:optionOrderBook:{"symbol":"Y"}', kind: 'state', market: 'options' };

interface Replica {
  readonly engine: Engine;
  readonly presence: Presence;
  readonly holdings: Holdings;
  readonly log: string[];
  takeovers: number;
  handovers: number;
}

async function replica(name: string, node: string, first: boolean): Promise<Replica> {
  const engine = await testEngine(engineSettings({ name, leaseTtlMs: TTL, node }), first);
  const presence = createPresence({ kv: engine.kv, names: engine.names, node, ttlMs: TTL });
  await presence.start();
  const log: string[] = [];
  const r: Replica = {
    engine,
    presence,
    log,
    takeovers: 0,
    handovers: 0,
    holdings: createHoldings({
      kv: engine.kv,
      names: engine.names,
      node,
      ttlMs: TTL,
      eventPublishers: 2,
      presence,
      hold: (topic) => log.push(`hold ${topic.kind}`),
      drop: (topic, reason) => log.push(`drop ${topic.kind} ${reason}`),
      onTakeover: () => (r.takeovers += 1),
      onHandover: () => (r.handovers += 1),
    }),
  };
  onDispose(async () => {
    if (engine.nc.isClosed()) return;
    await r.holdings.stop();
    await presence.stop();
  });
  return r;
}

/** Waits for `topic`'s lease keys to be gone: a holder drops the topic first, then deletes its key. */
async function noHolders(r: Replica, topic: ClusterTopic): Promise<void> {
  let left = ['?'];
  await waitFor(() => {
    void r.holdings.holders(topic).then((found) => (left = found));
    return left.length === 0;
  }, `no lease of ${topic.id} left`);
}

describe('holdings', () => {
  it('one replica holds a state topic, two hold a trades topic; both see the same holders and replicas', async () => {
    const name = uniqueClusterName();
    const a = await replica(name, 'a', true);
    const b = await replica(name, 'b', false);
    const c = await replica(name, 'c', false);
    for (const r of [a, b, c]) r.holdings.want(BOOK);
    for (const r of [a, b, c]) await r.holdings.round();
    expect([a, b, c].map((r) => r.holdings.held().length).reduce((x, y) => x + y)).toBe(1);
    for (const r of [a, b, c]) r.holdings.want(TRADES);
    for (const r of [a, b, c]) await r.holdings.round();
    const tradeHolders = await a.holdings.holders(TRADES);
    expect(tradeHolders).toHaveLength(2);
    expect(await c.holdings.holders(TRADES)).toEqual(tradeHolders);
    expect(await b.presence.replicas()).toEqual(['a', 'b', 'c']);
  });

  it('a holder whose engine connection dies is taken over by a replica with interest', async () => {
    const name = uniqueClusterName();
    const a = await replica(name, 'a', true);
    a.holdings.want(BOOK);
    await a.holdings.round();
    expect(a.holdings.held()).toEqual([BOOK]);
    const b = await replica(name, 'b', false);
    b.holdings.want(BOOK);
    await b.holdings.round();
    expect(b.holdings.held()).toEqual([]);
    await a.engine.nc.close();
    await waitFor(() => a.log.includes('drop state lost'), 'a loses its lease at its next renewal');
    await waitFor(() => b.holdings.held().length === 1, 'b takes over', 10_000);
    expect(b.takeovers).toBe(1);
    expect(await b.holdings.holders(BOOK)).toEqual(['b']);
    await waitFor(() => !a.holdings.held().length, 'a holds nothing');
  });

  it('a holder keeps a topic while another replica has interest, and releases it when none has', async () => {
    const name = uniqueClusterName();
    const a = await replica(name, 'a', true);
    const b = await replica(name, 'b', false);
    a.holdings.want(BOOK);
    await a.holdings.round();
    b.holdings.want(BOOK);
    a.holdings.unwant(BOOK);
    await a.holdings.round();
    expect(a.holdings.held()).toEqual([BOOK]);
    b.holdings.unwant(BOOK);
    await waitFor(() => a.log.includes('drop state released'), 'released');
    await noHolders(a, BOOK);
  });

  it('a trades topic with subscribers on one replica only gets a second holder; a state topic one; both go with the interest', async () => {
    const name = uniqueClusterName();
    const a = await replica(name, 'a', true);
    const b = await replica(name, 'b', false);
    const c = await replica(name, 'c', false);
    a.holdings.want(BTC_TRADES);
    a.holdings.want(BOOK);
    await a.holdings.round();
    // A private channel's interest never enters the engine; one written by hand is not taken either.
    await a.engine.kv.put(a.engine.names.interestKey(BTC_ORDERS, 'x'), JSON.stringify({ node: 'x' }));
    for (const r of [b, c, b, c]) await r.holdings.round();
    const holders = await a.holdings.holders(BTC_TRADES);
    expect(holders).toHaveLength(2);
    expect(holders).toContain('a');
    expect(a.holdings.held().map((t) => t.id)).toEqual([BTC_TRADES.id, BOOK.id]);
    const other = holders.find((n) => n !== 'a') === 'b' ? b : c;
    expect(other.holdings.held()).toEqual([BTC_TRADES]);
    expect([b, c].flatMap((r) => r.holdings.held())).toEqual([BTC_TRADES]);
    expect(await a.holdings.holders(BTC_ORDERS)).toEqual([]);
    a.holdings.unwant(BTC_TRADES);
    await waitFor(
      () => a.log.includes('drop event released') && other.log.includes('drop event released'),
      'both trades holders release it',
    );
    await noHolders(a, BTC_TRADES);
    expect(a.holdings.held()).toEqual([BOOK]);
  });

  it('a lease its holder released is a handover to the next taker; one that expired is a takeover', async () => {
    const name = uniqueClusterName();
    const a = await replica(name, 'a', true);
    const b = await replica(name, 'b', false);
    a.holdings.want(BOOK);
    await a.holdings.round();
    b.holdings.want(BOOK);
    await b.holdings.round();
    expect(b.holdings.held()).toEqual([]);
    await a.holdings.stop();
    await b.holdings.round();
    expect(b.holdings.held()).toEqual([BOOK]);
    expect({ takeovers: b.takeovers, handovers: b.handovers }).toEqual({ takeovers: 0, handovers: 1 });
    // A lease its holder stopped renewing (a dead node's) expires with the bucket's max age.
    await b.engine.kv.create(b.engine.names.leaseKey(BOOK_2, 0), JSON.stringify({ node: 'dead' }));
    b.holdings.want(BOOK_2);
    await b.holdings.round();
    expect(b.holdings.held()).toEqual([BOOK]);
    await waitFor(() => b.holdings.held().length === 2, 'b takes the expired lease', 10_000);
    expect({ takeovers: b.takeovers, handovers: b.handovers }).toEqual({ takeovers: 1, handovers: 1 });
  });
});
