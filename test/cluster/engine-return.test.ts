/**
 * A replica that only read a trades topic, back from serving alone after an
 * outage of the engine itself (the test's own nats-server killed and
 * restarted), with a holder whose upstream ran through it: two replicas in one
 * process on a stand-in exchange that re-sends its last trades on a subscribe.
 *
 * Nobody stored anything while the engine was away, and the holders' leases
 * lapsed with it: the trades of that time reach the stream through a holder's
 * catch-up a moment after the return. The reader judges its time alone after
 * that (`engine-gaps.ts`): no ENGINE marker where the catch-up stored every
 * trade (a replay across the outage has them all, and no STREAM_INTERRUPTED);
 * one where nothing filled the time (a quiet market), which a replay says.
 * The reader's wait is in the test's hand (no race with the holder's return):
 * long, so that only the catch-up's trades its feed brings end it, or on a
 * timer the test fires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.ts';
import { openEngine } from '../../src/sources/cluster/engine.ts';
import type { WaitTimer } from '../../src/sources/cluster/engine-gaps.ts';
import { readSubject, type StreamRecord } from '../../src/sources/cluster/stream-read.ts';
import { idOf } from '../../src/sources/cluster/trade-items.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, waitFor, wsClient, type CapturedLog } from '../helpers/gateway.ts';
import { startInProcessReplica, type ReplicaSettings } from '../helpers/in-process-replica.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';
import { scrapeMetrics } from '../helpers/prometheus.ts';
import { eventually } from '../helpers/replica-process.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const TRADES = 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { id cursor price } }';
const FAMILY = 'coincall_gateway_cluster_gap_markers_total';
/** How long a step of the cluster may take here (lease TTL 3 s, the reader's wait two of them). */
const STEP_MS = 20_000;
/** The exchange re-sends this many of its last trades on a subscribe: every replica's memory reaches back. */
const REPLAY_ON_SUBSCRIBE = 50;

let tradeSeq = 0;
/** One BTCUSD wire trade stamped now (the reader compares trades' own times with its time alone). */
const wireTrade = () => ({ s: 'BTCUSD', pr: String(70_000 + ++tradeSeq), v: '0.1', sd: 1, ts: Date.now() });

interface Got {
  readonly ids: string[];
  /** Each trade's price, as the ids (the exchange's prices count up: the order they were sent in). */
  readonly prices: number[];
  readonly cursors: string[];
  readonly errors: Array<Record<string, unknown>>;
}

/** Subscribes to the trades (after `after` when given) on `app`. */
function follow(app: App, after?: string): Got {
  const got: Got = { ids: [], prices: [], cursors: [], errors: [] };
  const client = wsClient(app.url.replace(/^http/, 'ws'));
  client.subscribe(
    { query: TRADES, variables: after === undefined ? {} : { after } },
    {
      next: (r) => {
        const trades = (r.data as { futuresTrades?: Array<{ id: string; cursor: string; price: string }> } | null)?.futuresTrades ?? [];
        got.ids.push(...trades.map((t) => t.id));
        got.prices.push(...trades.map((t) => Number(t.price)));
        got.cursors.push(...trades.map((t) => t.cursor));
        for (const e of r.errors ?? []) got.errors.push({ code: e.extensions?.['code'], reason: e.extensions?.['reason'] });
      },
      error: (e) => void got.errors.push({ code: 'CLOSED', detail: String(e) }),
      complete: () => undefined,
    },
  );
  return got;
}

const send = (exchange: FakeExchange, n = 1) => exchange.publish(TRADES_DT, 'lastTrade', BTC, Array.from({ length: n }, wireTrade));

const holding = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY)).length;

/** The ENGINE outcomes `app` counted (those above 0), by outcome. */
async function engineGaps(app: App): Promise<Record<string, number>> {
  const { samples } = await scrapeMetrics(app.port);
  const counted: Record<string, number> = {};
  for (const s of samples)
    if (s.name === FAMILY && s.labels['reason'] === 'ENGINE' && s.value > 0) counted[String(s.labels['outcome'])] = s.value;
  return counted;
}

/** What the stream holds of the topic: `trade` per trade message, `gap:REASON` per marker. */
async function recordsOf(nats: NatsServer, name: string): Promise<StreamRecord[]> {
  const engine = await openEngine({
    servers: nats.url,
    names: clusterNames(name),
    retentionMs: 60_000,
    maxEventsPerTopic: 1_000,
    leaseTtlMs: 3_000,
    node: 'test',
  });
  try {
    const subject = engine.names.subject({ id: `futures:futuresTrades:BTCUSD`, kind: 'event', market: 'futures' });
    return await readSubject(engine, subject);
  } finally {
    await engine.close();
  }
}

async function streamOf(nats: NatsServer, name: string): Promise<string[]> {
  return (await recordsOf(nats, name)).map((r) => (r.gap === undefined ? 'trade' : `gap:${r.gap.reason}`));
}

/** The ids of the trades the stream holds. */
async function storedIds(nats: NatsServer, name: string): Promise<Set<string>> {
  return new Set((await recordsOf(nats, name)).flatMap((r) => (r.envelope === undefined ? [] : r.envelope.items.map(idOf))));
}

/** B's wait for the holders' catch-up when only its feed may end it: longer than any test. */
const WAIT_FOR_THE_FEED_MS = 3_600_000;

/** A wait timer in the test's hand: `end()` fires the armed waits (the holders' chance passed). */
function heldTimer() {
  const armed = new Set<() => void>();
  const timer: WaitTimer = (fire) => {
    armed.add(fire);
    return { clear: () => void armed.delete(fire) };
  };
  return {
    timer,
    armed: () => armed.size,
    end: () => {
      const fired = [...armed];
      armed.clear();
      for (const fire of fired) fire();
    },
  };
}

/**
 * A holds the topic (one publisher) and B only reads it; the engine is killed (`during` trades are sent while it is
 * away, each replica serving its clients from its own upstream) and started again. Returns once B is back on it
 * (its time alone waiting to be judged: `engineGaps` says how long, and on which timer).
 */
async function outage(during: number, engineGaps: NonNullable<ReplicaSettings['engineGaps']>) {
  const nats = await startNatsServer();
  const exchange = await startFakeExchange({ replayOnSubscribe: REPLAY_ON_SUBSCRIBE });
  onDispose(() => exchange.close());
  const name = uniqueClusterName();
  const a = await startInProcessReplica(exchange, name, 'a', { natsUrl: nats.url, publishers: 1 });
  const atA = follow(a);
  await waitFor(() => holding(exchange) === 1, 'A holding the trades upstream', STEP_MS);
  const logs: CapturedLog = captureLogs();
  const b = await startInProcessReplica(exchange, name, 'b', { natsUrl: nats.url, publishers: 1, logger: logs.logger, engineGaps });
  const atB = follow(b);
  await eventually(
    async () => {
      send(exchange);
      await new Promise((r) => setTimeout(r, 100));
      return atB.ids.length > 0 && atA.ids.length > 0;
    },
    'both replicas following the topic',
    STEP_MS,
  );
  expect(holding(exchange)).toBe(1);
  // B's last trade before the outage, from the stream: a replay after it crosses the outage.
  const before = atB.cursors.at(-1);
  // The last price sent before the outage: trades priced above it came after.
  const pre = 70_000 + tradeSeq;

  await nats.kill();
  await waitFor(() => holding(exchange) === 2, 'B serving alone from its own upstream', STEP_MS);
  if (during > 0) {
    send(exchange, during);
    await waitFor(() => atB.prices.filter((price) => price > pre).length >= during, 'the trades of the outage at B', STEP_MS);
  }
  await nats.start();
  const back = () => logs.lines.find((l) => l.msg?.startsWith('cluster: back on the engine after serving alone') === true);
  await waitFor(() => back() !== undefined, 'B back on the engine', STEP_MS);
  // Trades sent from now on are of the time after B's time alone (`until`: when B's feed opened again), not of it.
  const logged = back()?.obj;
  const until = logged !== undefined && 'until' in logged ? Number(logged.until) : Number.NaN;
  expect(until).toBeGreaterThan(0);
  await waitFor(() => Date.now() > until, "the clock past B's time alone", STEP_MS);
  return { nats, exchange, name, a, b, atA, atB, before, pre };
}

/**
 * Sends a trade now and then (the holder renews its lease and catches up before it publishes one) until B judged its
 * time alone, then until the stream holds every trade B has (on a loaded machine the holder may take its lease back
 * only after B judged: what it had not published yet goes in with its next trade's catch-up).
 */
async function tradingUntilJudged({
  exchange,
  b,
  atB,
  nats,
  name,
}: {
  exchange: FakeExchange;
  b: App;
  atB: Got;
  nats: NatsServer;
  name: string;
}): Promise<Record<string, number>> {
  await eventually(
    async () => {
      send(exchange);
      await new Promise((r) => setTimeout(r, 200));
      return Object.keys(await engineGaps(b)).length > 0;
    },
    "B's time alone judged",
    STEP_MS,
  );
  // One more trade: once B has it, B has every trade sent; then more until the stream holds all of them.
  const got = atB.ids.length;
  send(exchange);
  await waitFor(() => atB.ids.length > got, 'the last trade at B', STEP_MS);
  await eventually(
    async () => {
      const stored = await storedIds(nats, name);
      if (atB.ids.every((id) => stored.has(id))) return true;
      send(exchange);
      await new Promise((r) => setTimeout(r, 200));
      return false;
    },
    'every trade at B stored',
    STEP_MS,
  );
  return engineGaps(b);
}

/**
 * What was said beyond a holder's own UPSTREAM gaps: on a loaded machine a holder's Coincall connection may drop
 * (its catch-up marks that, rightly, and it is not what these tests are about).
 */
const beyondUpstream = (errors: ReadonlyArray<Record<string, unknown>>) => errors.filter((e) => e['reason'] !== 'UPSTREAM');
const markers = (stream: readonly string[]) => stream.filter((m) => m !== 'trade' && m !== 'gap:UPSTREAM');

describe('a reader back from serving alone through an outage of the engine', () => {
  it(
    "marks nothing where the holder's catch-up stored every trade: a replay across the outage has each one, no STREAM_INTERRUPTED",
    { timeout: 120_000 },
    async () => {
      // B's wait outlasts the test: only the catch-up's trades of its time alone, as its feed brings them, end it.
      const { nats, exchange, name, b, atA, atB, before, pre } = await outage(5, { engineGapWaitMs: WAIT_FOR_THE_FEED_MS });
      expect(await tradingUntilJudged({ exchange, b, atB, nats, name })).toEqual({ covered: 1 });

      expect(markers(await streamOf(nats, name))).toEqual([]);
      const since = atB.ids.filter((_, i) => (atB.prices[i] ?? 0) > pre);
      const replayed = follow(b, before);
      await waitFor(() => since.every((id) => replayed.ids.includes(id)), 'the replay across the outage at every trade', STEP_MS);
      expect(beyondUpstream(replayed.errors)).toEqual([]);
      expect(new Set(replayed.ids).size).toBe(replayed.ids.length);
      // Nothing was said live either: B's own upstream reached back, A ran through.
      expect(beyondUpstream(atB.errors)).toEqual([]);
      expect(beyondUpstream(atA.errors)).toEqual([]);
    },
  );

  it(
    'marks the time when nothing filled it (a quiet market): a replay across it says STREAM_INTERRUPTED (ENGINE), live clients are not told twice',
    { timeout: 120_000 },
    async () => {
      const wait = heldTimer();
      const { nats, exchange, name, b, atA, atB, before, pre } = await outage(0, { engineGapTimer: wait.timer });
      // B's time alone waits; its end is the test's (nothing of that time for a catch-up to store in a quiet market).
      await waitFor(() => wait.armed() === 1, "B's time alone waiting", STEP_MS);
      wait.end();
      const judged = await tradingUntilJudged({ exchange, b, atB, nats, name });
      expect(judged).toEqual({ published: 1 });

      expect(markers(await streamOf(nats, name))).toEqual(['gap:ENGINE']);
      const since = atB.ids.filter((_, i) => (atB.prices[i] ?? 0) > pre);
      const replayed = follow(b, before);
      await waitFor(
        () => beyondUpstream(replayed.errors).length > 0 && since.every((id) => replayed.ids.includes(id)),
        'the replay across the outage',
        STEP_MS,
      );
      expect(beyondUpstream(replayed.errors)).toEqual([{ code: 'STREAM_INTERRUPTED', reason: 'ENGINE' }]);
      // Both replicas served alone through that time: their live clients are not told of it again.
      expect(beyondUpstream(atB.errors)).toEqual([]);
      expect(beyondUpstream(atA.errors)).toEqual([]);
    },
  );
});
