/**
 * A cursor moved between replicas, replicas as separate processes on the
 * test's own nats-server and a stand-in exchange: a client on replica A
 * follows the trades under a steady flow, stops (it keeps the cursor of the
 * newest trade it got), trades go on; it resumes on replica B with `after`
 * and gets every trade after that one exactly once, in order, then live ones,
 * with no STREAM_INTERRUPTED, whether A still runs or was SIGKILLed (the
 * usual reason a client moves). The Query twin on B answers the trades after
 * the cursor oldest first, `limit` at a time, and pages to the end.
 *
 * (A cursor past what the stream keeps, or of a stream created again, is
 * CURSOR_EXPIRED: cluster-resume.test.ts and stream-window.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import type { FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { startReplica, startReplicaExchange, type ReplicaProcess } from '../helpers/replica-process.ts';
import { received, steadyTrades, watchTrades, type TradeFlow, type TradesWatch } from '../helpers/trade-flow.ts';

useOwnNatsServer();
afterEach(disposeAll);

/** Trades the client on A gets before it stops, and trades sent while it is away. */
const BEFORE_STOP = 20;
const WHILE_AWAY = 80;
/** Live trades the resumed client must get after it subscribed on B. */
const LIVE_AFTER_RESUME = 25;

const holding = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === c.socket.OPEN && c.topics.has('lastTrade {"symbol":"BTCUSD"}')).length;

interface Moving {
  readonly a: ReplicaProcess;
  readonly b: ReplicaProcess;
  readonly flow: TradeFlow;
  /** The client on B that never moved: it has every trade the stream got. */
  readonly observer: TradesWatch;
  /** The client on A, stopped after BEFORE_STOP trades. */
  readonly left: TradesWatch;
  /** The cursor of the newest trade it got, and that trade's index in `flow.sent`. */
  readonly cursor: string;
  readonly index: number;
}

/** Replicas A and B both holding the trades topic; a client on A follows the flow, then stops with its newest trade's cursor. */
async function clientLeavesA(): Promise<Moving> {
  const stand = await startReplicaExchange();
  const clusterName = uniqueClusterName();
  const [a, b] = (await Promise.all(['a', 'b'].map((node) => startReplica({ natsUrl: natsUrl(), clusterName, node, ...stand.urls })))) as [
    ReplicaProcess,
    ReplicaProcess,
  ];
  const left = watchTrades(a.wsUrl);
  const observer = watchTrades(b.wsUrl);
  await waitFor(() => holding(stand.exchange) === 2, 'both replicas holding the trades topic', 15_000);
  const flow = steadyTrades(stand.exchange);
  await waitFor(() => left.prices.length >= BEFORE_STOP && observer.prices.length > 0, 'trades at A and B', 15_000);
  await left.stop();
  // Its newest trade: the flow's prices rise with each trade sent.
  const newest = left.prices.reduce((best, price, i) => (Number(price) > Number(left.prices[best]) ? i : best), 0);
  const index = flow.sent.findIndex((t) => t.price === left.prices[newest]);
  expect(index).toBeGreaterThanOrEqual(0);
  await waitFor(() => flow.sent.length >= index + WHILE_AWAY, 'trades sent while the client is away', 15_000);
  return { a, b, flow, observer, left, cursor: left.cursors[newest] ?? '', index };
}

/** Resumes on B after the cursor under the flow, then stops the flow once live trades came; what the resumed client got. */
async function resumeOnB(moving: Moving): Promise<TradesWatch> {
  const { b, flow, cursor } = moving;
  const resumed = watchTrades(b.wsUrl, cursor);
  const resumedAt = flow.sent.length;
  await waitFor(() => received(resumed, flow.sent[resumedAt + LIVE_AFTER_RESUME]), 'live trades after the resume', 20_000);
  flow.stop();
  const last = flow.sent.at(-1);
  await waitFor(() => received(resumed, last), 'the last trade at the resumed client', 10_000);
  return resumed;
}

const pricesAfter = (flow: TradeFlow, index: number) => flow.sent.slice(index + 1).map((t) => t.price);

describe('a cursor moved between replicas (separate processes)', () => {
  it('resumes on B after the trade it stopped at on A: every later trade once, in order, then live', { timeout: 240_000 }, async () => {
    const moving = await clientLeavesA();
    const resumed = await resumeOnB(moving);
    expect(resumed.prices).toEqual(pricesAfter(moving.flow, moving.index));
    expect(resumed.interruptions).toEqual([]);
    expect(resumed.problems).toEqual([]);
  });

  it('resumes on B the same when A, the replica it was on, was killed with SIGKILL', { timeout: 240_000 }, async () => {
    const moving = await clientLeavesA();
    await moving.a.kill('SIGKILL');
    const resumed = await resumeOnB(moving);
    expect(resumed.prices).toEqual(pricesAfter(moving.flow, moving.index));
    expect(resumed.interruptions).toEqual([]);
    expect(resumed.problems).toEqual([]);
    // The client that stayed on B saw the same trades, uninterrupted, through A's death.
    expect(moving.observer.interruptions).toEqual([]);
  });

  it('answers the Query twin on B after the cursor: oldest first, `limit` at a time, paging to the end', { timeout: 240_000 }, async () => {
    const { b, flow, observer, cursor, index } = await clientLeavesA();
    flow.stop();
    await waitFor(() => received(observer, flow.sent.at(-1)), 'the last trade stored (at the observer)', 10_000);
    const expected = pricesAfter(flow, index);
    const page = async (after: string, limit?: number) => {
      const args = `after: "${after}"${limit === undefined ? '' : `, limit: ${limit}`}`;
      const data = (await b.query(`{ futuresTrades(symbol: "BTCUSD", ${args}) { price cursor } }`)) as {
        futuresTrades: Array<{ price: string; cursor: string }>;
      };
      return data.futuresTrades;
    };

    // The default limit (50), then a small one.
    expect((await page(cursor)).map((t) => t.price)).toEqual(expected.slice(0, 50));
    expect((await page(cursor, 7)).map((t) => t.price)).toEqual(expected.slice(0, 7));
    // A client pages forward with the last cursor it got, to the end.
    const paged: string[] = [];
    for (let after = cursor; ;) {
      const rows = await page(after, 30);
      if (rows.length === 0) break;
      paged.push(...rows.map((t) => t.price));
      after = rows.at(-1)?.cursor ?? after;
    }
    expect(paged).toEqual(expected);
  });
});
