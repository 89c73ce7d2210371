/**
 * The engine (the test's own nats-server) killed and restarted under a steady
 * trade flow, replicas as separate processes: each replica serves its clients
 * from its own upstream meanwhile and rejoins after; no trade is lost or
 * repeated at any client, and `status.cluster.engine` says DISCONNECTED, then
 * CONNECTED again. A replica that did not hold the topic subscribes upstream
 * when the engine goes: `STREAM_INTERRUPTED` (`reason: "ENGINE"`) only when
 * the exchange's first batch does not reach back to what its clients got.
 *
 * Around the engine's return every holder's lease has lapsed: the trades of
 * that moment reach the stream through the holders' catch-up (`catch-up.ts`);
 * without it, clients missed about 18 trades in half of the runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { engineOf, eventually, holdersOf, startReplica, startReplicaExchange, type ReplicaProcess } from '../helpers/replica-process.ts';
import { deliveryOf, missedOutside, received, steadyTrades, watchTrades, type TradesWatch } from '../helpers/trade-flow.ts';

afterEach(disposeAll);

/** The engine killed and restarted under the flow; the exchange answers a subscribe with its last `replay` trades. */
async function engineOutage(nodes: readonly string[], replay: number) {
  const nats = await startNatsServer();
  const stand = await startReplicaExchange({ replayOnSubscribe: replay });
  const clusterName = uniqueClusterName();
  const all = await Promise.all(nodes.map((node) => startReplica({ natsUrl: nats.url, clusterName, node, ...stand.urls })));
  const watches = new Map(all.map((r) => [r.node, watchTrades(r.wsUrl)]));
  const watchOf = (r: ReplicaProcess) => watches.get(r.node) as TradesWatch;
  const first = all[0] as ReplicaProcess;
  await eventually(async () => (await holdersOf(first, 'futuresTrades')).length === 2, 'two replicas holding', 15_000);
  const holders = await holdersOf(first, 'futuresTrades');
  const flow = steadyTrades(stand.exchange);
  await waitFor(() => all.every((r) => watchOf(r).prices.length >= 5), 'trades at every replica', 15_000);
  const from = flow.sent.length;

  await nats.kill();
  for (const r of all) await eventually(async () => (await engineOf(r)) === 'DISCONNECTED', `${r.node} seeing the engine gone`, 10_000);
  const away = flow.sent.length;
  await waitFor(() => flow.sent.length >= away + 40, 'trades while the engine is away', 10_000);
  for (const r of all) await waitFor(() => received(watchOf(r), flow.sent.at(-1)), `trades at ${r.node} without the engine`, 10_000);

  await nats.start();
  for (const r of all) await eventually(async () => (await engineOf(r)) === 'CONNECTED', `${r.node} rejoining`, 15_000);
  await eventually(async () => (await holdersOf(first, 'futuresTrades')).length === 2, 'the topic held again', 15_000);
  const back = flow.sent.length;
  await waitFor(() => flow.sent.length >= back + 40, 'trades after the return', 10_000);
  flow.stop();
  for (const r of all) await waitFor(() => received(watchOf(r), flow.sent.at(-1)), `the last trade at ${r.node}`, 10_000);
  return { all, holders, flow, from, away, back, watchOf };
}

/** Every replica's client got each trade sent since `from` once, with no interruption and no other error. */
function everyTradeOnce({ all, flow, from, watchOf }: Awaited<ReturnType<typeof engineOutage>>) {
  for (const r of all) {
    const watch = watchOf(r);
    expect({ node: r.node, ...deliveryOf(watch, flow.sent, from), interruptions: watch.interruptions, problems: watch.problems }).toEqual({
      node: r.node,
      missing: [],
      repeated: [],
      interruptions: [],
      problems: [],
    });
  }
}

describe('the engine killed and restarted', () => {
  it(
    'a cursor of a trade served while the engine was away resumes on another replica right after that trade',
    { timeout: 180_000 },
    async () => {
      const { all, flow, away, back, watchOf } = await engineOutage(['a', 'b'], 50);
      const [a, b] = all as [ReplicaProcess, ReplicaProcess];
      // A trade of the outage as a's client got it: from a's own upstream, its cursor only the last sequence a saw.
      const cut = Math.floor((away + back) / 2);
      const mid = flow.sent[cut];
      const index = watchOf(a).prices.indexOf(mid?.price ?? '');
      expect(index).toBeGreaterThanOrEqual(0);
      const resumed = watchTrades(b.wsUrl, watchOf(a).cursors[index]);
      await waitFor(() => received(resumed, flow.sent.at(-1)), 'the resumed client at the last trade', 15_000);
      const before = new Set(flow.sent.slice(0, cut + 1).map((t) => t.price));
      expect(resumed.prices.filter((price) => before.has(price))).toEqual([]);
      expect(deliveryOf(resumed, flow.sent, cut + 1)).toEqual({ missing: [], repeated: [] });
      expect(resumed.interruptions).toEqual([]);
      expect(resumed.problems).toEqual([]);

      // And the stream holds the outage's trades, in order: a cursor from before it replays every one, no interruption.
      const start = watchOf(a).prices.indexOf(flow.sent[away - 2]?.price ?? '');
      const replay = watchTrades(b.wsUrl, watchOf(a).cursors[start]);
      await waitFor(() => received(replay, flow.sent.at(-1)), 'the replay at the last trade', 15_000);
      expect(deliveryOf(replay, flow.sent, away - 1)).toEqual({ missing: [], repeated: [] });
      expect(replay.prices).toEqual(flow.sent.slice(away - 1).map((t) => t.price));
      expect(replay.interruptions).toEqual([]);
    },
  );

  it('replicas serve from their own upstream meanwhile and rejoin: every trade once at every client', { timeout: 180_000 }, async () => {
    everyTradeOnce(await engineOutage(['a', 'b'], 50));
  });

  it(
    'a replica that did not hold the topic, its own upstream reaching back: every trade once, no interruption',
    { timeout: 180_000 },
    async () => {
      const outage = await engineOutage(['a', 'b', 'c'], 1_000);
      expect(outage.all.filter((r) => !outage.holders.includes(r.node))).toHaveLength(1);
      everyTradeOnce(outage);
    },
  );

  it(
    'a replica that did not hold the topic, its own upstream not reaching back: STREAM_INTERRUPTED (ENGINE) there only',
    { timeout: 180_000 },
    async () => {
      const { all, holders, flow, from, watchOf } = await engineOutage(['a', 'b', 'c'], 0);
      for (const r of all) {
        const watch = watchOf(r);
        const { missing, repeated } = deliveryOf(watch, flow.sent, from);
        expect(repeated).toEqual([]);
        if (holders.includes(r.node)) {
          expect({ node: r.node, missing, interruptions: watch.interruptions }).toEqual({ node: r.node, missing: [], interruptions: [] });
          continue;
        }
        expect(watch.interruptions.map((i) => i.reason)).toEqual(['ENGINE']);
        expect(missedOutside(missing, flow.sent, watch.interruptions[0], 1_000)).toEqual([]);
      }
    },
  );
});
