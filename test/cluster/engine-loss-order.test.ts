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

/** Where the trades of each message a watch got were in the flow, message by message. */
const positionsOf = (watch: TradesWatch, sent: readonly SentTrade[]) => {
  const index = new Map(sent.map((t, i) => [t.price, i]));
  const positions = watch.prices.map((price) => index.get(price) ?? -1);
  let at = 0;
  return watch.messages.map((n) => positions.slice(at, (at += n)));
};

/** The messages that went back: one holding a trade sent before a trade of an earlier message (a message lists newest first). */
const backwards = (messages: ReadonlyArray<readonly number[]>) => {
  let newest = -1;
  return messages.flatMap((positions, i) => {
    const wentBack = Math.min(...positions) <= newest;
    newest = Math.max(newest, ...positions);
    return wentBack ? [i] : [];
  });
};

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
        const messages = positionsOf(watch, flow.sent);
        const positions = messages.flat();
        const first = Math.min(...positions);
        expect({
          node,
          unknown: positions.filter((p) => p < 0).length,
          backwards: backwards(messages),
          startsAt: Math.min(...(messages[0] ?? [])),
        }).toEqual({
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
