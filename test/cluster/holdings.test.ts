/**
 * Leases per topic across replicas (in-process replicas, each with its own
 * engine connection, against a real NATS 2.9): one holder per state topic, two
 * per trades topic, takeover when a holder's connection dies, release when no
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

interface Replica {
  readonly engine: Engine;
  readonly presence: Presence;
  readonly holdings: Holdings;
  readonly log: string[];
  takeovers: number;
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
    }),
  };
  onDispose(async () => {
    if (engine.nc.isClosed()) return;
    await r.holdings.stop();
    await presence.stop();
  });
  return r;
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
    expect(await a.holdings.holders(BOOK)).toEqual([]);
  });
});
