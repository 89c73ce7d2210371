/**
 * A client's trades tape never goes back when the engine goes away. Clients
 * that subscribe mid-flow are fed from the engine; when it goes, each replica
 * serves from its own upstream, whose first batch (the exchange's recent
 * trades) and whose holder's memory hold trades from before those clients
 * subscribed. None of them reaches the clients: every client gets the trades
 * sent after its first one, once each, in the order sent. Replicas as separate
 * processes, the test's own nats-server, a stand-in exchange that answers a
 * subscribe with its last trades.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { engineOf, eventually, holdersOf, startReplica, startReplicaExchange } from '../helpers/replica-process.ts';
import { deliveryOf, received, steadyTrades, watchTrades, type SentTrade, type TradesWatch } from '../helpers/trade-flow.ts';

afterEach(disposeAll);

/** The exchange re-sends this many of its last trades on a subscribe: far back past where the late clients began. */
const REPLAYED_ON_SUBSCRIBE = 200;

/** Where each trade a watch got was in the flow, in the order it got them. */
const positionsOf = (watch: TradesWatch, sent: readonly SentTrade[]) => {
  const index = new Map(sent.map((t, i) => [t.price, i]));
  return watch.prices.map((price) => index.get(price) ?? -1);
};

/** The places where a watch's tape went back (a trade sent before the one received ahead of it). */
const backwards = (positions: readonly number[]) => positions.flatMap((p, i) => (i > 0 && p <= (positions[i - 1] ?? -1) ? [i] : []));

describe('the engine lost under clients that subscribed mid-flow', () => {
  it(
    'hands on no trade from before a client began: each gets every trade after its first, once, in the order sent',
    { timeout: 180_000 },
    async () => {
      const nats = await startNatsServer();
      const stand = await startReplicaExchange({ replayOnSubscribe: REPLAYED_ON_SUBSCRIBE });
      const clusterName = uniqueClusterName();
      const [a, b, c] = await Promise.all(
        ['a', 'b', 'c'].map((node) => startReplica({ natsUrl: nats.url, clusterName, node, ...stand.urls })),
      );
      if (a === undefined || b === undefined || c === undefined) throw new Error('three replicas');
      // Trades flow a while before the clients below subscribe: the exchange's replay and a holder's memory reach before them.
      const early = watchTrades(a.wsUrl);
      await eventually(async () => (await holdersOf(a, 'futuresTrades')).length >= 1, 'the topic held', 15_000);
      const flow = steadyTrades(stand.exchange);
      await waitFor(() => early.prices.length >= 30, 'trades before the late clients', 15_000);

      const late = [a, b, c].map((r) => ({ node: r.node, watch: watchTrades(r.wsUrl) }));
      await waitFor(() => late.every(({ watch }) => watch.prices.length >= 5), 'trades at every late client', 15_000);

      await nats.kill();
      for (const r of [a, b, c])
        await eventually(async () => (await engineOf(r)) === 'DISCONNECTED', `${r.node} seeing the engine gone`, 10_000);
      const away = flow.sent.length;
      await waitFor(() => flow.sent.length >= away + 30, 'trades while the engine is away', 10_000);
      flow.stop();
      for (const { node, watch } of late) await waitFor(() => received(watch, flow.sent.at(-1)), `the last trade at ${node}`, 10_000);

      for (const { node, watch } of late) {
        const positions = positionsOf(watch, flow.sent);
        const first = Math.min(...positions);
        expect({ node, unknown: positions.filter((p) => p < 0).length, backwards: backwards(positions), startsAt: positions[0] }).toEqual({
          node,
          unknown: 0,
          backwards: [],
          startsAt: first,
        });
        expect({ node, ...deliveryOf(watch, flow.sent, first), problems: watch.problems }).toEqual({
          node,
          missing: [],
          repeated: [],
          problems: [],
        });
      }
    },
  );
});
