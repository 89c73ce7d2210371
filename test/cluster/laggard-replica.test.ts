/**
 * A replica whose reader falls behind the engine's stream, replicas as
 * separate processes on the test's own nats-server: a replica that holds no
 * lease is frozen (SIGSTOP) while more trades flow than the stream keeps per
 * topic, then thawed. Its feed finds the trades discarded before it got them:
 * its client gets `STREAM_INTERRUPTED` (reason ENGINE) over every trade it
 * missed, and no trade twice (its metrics count it); the clients of the
 * other replicas get every trade once, with no interruption.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import type { FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { holdersOf, startReplica, startReplicaExchange, type ReplicaProcess } from '../helpers/replica-process.ts';
import { deliveryOf, missedOutside, received, steadyTrades, watchTrades, type TradesWatch } from '../helpers/trade-flow.ts';

useOwnNatsServer();
afterEach(disposeAll);

/** The stream keeps this many trades per topic (RESUME_MAX_EVENTS_PER_TOPIC: the least the gateway allows). */
const KEPT_PER_TOPIC = 100;
/** Trades sent while the replica is frozen: more than its feed's outstanding pull (100 reach its socket) and the limit. */
const TRADES_WHILE_FROZEN = 450;
/** Long enough that the frozen replica's presence and leases play no part: the test is about its reader. */
const LEASE_TTL_MS = 15_000;

const subscriptionsOf = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === c.socket.OPEN && c.topics.has('lastTrade {"symbol":"BTCUSD"}')).length;

describe('a replica frozen while more trades flow than the stream keeps per topic', () => {
  it('its client is told of the trades it missed; the other replicas miss none', { timeout: 240_000 }, async () => {
    const stand = await startReplicaExchange();
    const clusterName = uniqueClusterName();
    const env = { RESUME_MAX_EVENTS_PER_TOPIC: String(KEPT_PER_TOPIC) };
    const all = await Promise.all(
      ['a', 'b', 'c'].map((node) => startReplica({ natsUrl: natsUrl(), clusterName, node, leaseTtlMs: LEASE_TTL_MS, env, ...stand.urls })),
    );
    const watches = new Map(all.map((r) => [r.node, watchTrades(r.wsUrl)]));
    const watchOf = (r: ReplicaProcess) => watches.get(r.node) as TradesWatch;
    await waitFor(() => subscriptionsOf(stand.exchange) === 2, 'two holders of the trades topic', 30_000);
    const flow = steadyTrades(stand.exchange, { everyMs: 20, perFrame: 3 });
    await waitFor(() => [...watches.values()].every((w) => w.prices.length >= 5), 'trades at every replica', 30_000);
    const holders = await holdersOf(all[0] as ReplicaProcess, 'futuresTrades');
    expect(holders).toHaveLength(2);
    const laggard = all.find((r) => !holders.includes(r.node)) as ReplicaProcess;
    const others = all.filter((r) => r !== laggard);

    const from = flow.sent.length;
    laggard.pause();
    await waitFor(() => flow.sent.length >= from + TRADES_WHILE_FROZEN, 'trades while frozen', 30_000);
    laggard.resume();
    const thawed = flow.sent.length;
    await waitFor(() => flow.sent.length >= thawed + 60, 'trades after the thaw', 30_000);
    flow.stop();
    const last = flow.sent.at(-1);
    for (const r of all) await waitFor(() => received(watchOf(r), last), `the last trade at ${r.node}`, 30_000);
    expect(await holdersOf(others[0] as ReplicaProcess, 'futuresTrades')).toEqual(holders);

    for (const r of others) {
      const watch = watchOf(r);
      expect({ node: r.node, ...deliveryOf(watch, flow.sent, from) }).toEqual({ node: r.node, missing: [], repeated: [] });
      expect(watch.interruptions).toEqual([]);
    }
    const watch = watchOf(laggard);
    const { missing, repeated } = deliveryOf(watch, flow.sent, from);
    expect(repeated).toEqual([]);
    expect(missing.length).toBeGreaterThan(0);
    expect(watch.interruptions.map((i) => i.reason)).toEqual(['ENGINE']);
    expect(missedOutside(missing, flow.sent, watch.interruptions[0])).toEqual([]);
    expect(watch.problems).toEqual([]);
    // The operator is told too.
    expect(await laggard.metrics()).toContain('coincall_gateway_cluster_gap_markers_total{reason="ENGINE",outcome="behind"} 1');
  });
});
