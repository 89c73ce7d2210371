/**
 * A rolling restart of every replica (three, one at a time: SIGTERM, then
 * started again with the same node id) under a steady trade flow, replicas as
 * separate processes: the clients of the replicas that stay up lose nothing
 * and get no trade twice while each one restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { startReplica, startReplicaExchange, type ReplicaProcess } from '../helpers/replica-process.ts';
import { deliveryOf, received, steadyTrades, watchTrades, type TradesWatch } from '../helpers/trade-flow.ts';

useOwnNatsServer();
afterEach(disposeAll);

interface Member {
  readonly replica: ReplicaProcess;
  readonly watch: TradesWatch;
}

describe('a rolling restart of every replica', () => {
  it('the clients of the replicas that stay up get every trade once', { timeout: 300_000 }, async () => {
    const stand = await startReplicaExchange({ replayOnSubscribe: 50 });
    const clusterName = uniqueClusterName();
    const settings = (node: string) => ({ natsUrl: natsUrl(), clusterName, node, ...stand.urls });
    const members: Member[] = (await Promise.all(['a', 'b', 'c'].map((node) => startReplica(settings(node))))).map((replica) => ({
      replica,
      watch: watchTrades(replica.wsUrl),
    }));
    const flow = steadyTrades(stand.exchange);
    await waitFor(() => members.every((m) => m.watch.prices.length >= 5), 'trades at every replica', 15_000);
    /** Each staying client and the trades it must have: those sent while its neighbour restarted. */
    const checks: Array<{ node: string; watch: TradesWatch; from: number; to: number }> = [];
    const stopped: TradesWatch[] = [];

    for (let i = 0; i < members.length; i++) {
      const leaving = members[i] as Member;
      const staying = members.filter((m) => m !== leaving);
      const from = flow.sent.length;
      await leaving.replica.kill('SIGTERM');
      stopped.push(leaving.watch);
      const replica = await startReplica(settings(leaving.replica.node));
      const watch = watchTrades(replica.wsUrl);
      members[i] = { replica, watch };
      await waitFor(() => watch.prices.length >= 5, `trades at the restarted ${replica.node}`, 15_000);
      const to = flow.sent.length;
      for (const m of staying) checks.push({ node: m.replica.node, watch: m.watch, from, to });
    }
    flow.stop();
    for (const m of members) await waitFor(() => received(m.watch, flow.sent.at(-1)), `the last trade at ${m.replica.node}`, 10_000);

    for (const { node, watch, from, to } of checks)
      expect({ node, from, ...deliveryOf(watch, flow.sent, from, to) }).toEqual({ node, from, missing: [], repeated: [] });
    for (const m of members) {
      expect(deliveryOf(m.watch, flow.sent, 0).repeated).toEqual([]);
      expect(m.watch.interruptions).toEqual([]);
      expect(m.watch.problems).toEqual([]);
    }
    for (const watch of stopped) expect(deliveryOf(watch, flow.sent, 0).repeated).toEqual([]);
  });
});
