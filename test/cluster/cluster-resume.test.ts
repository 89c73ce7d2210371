/**
 * Cursors in a cluster: the engine's trades stream is the resume window. Two
 * replicas in one process on one stand-in exchange and the file's own engine:
 * the same trade has the same cursor on both; a cursor taken on one replica
 * resumes on the other with no trade lost or repeated under a steady flow; a
 * cursor past what the stream keeps gives CURSOR_EXPIRED, then what is kept;
 * a holder's own upstream gap reaches the other replica's client as
 * STREAM_INTERRUPTED (UPSTREAM) and is replayed at its place, while one the
 * other publisher covered is not reported; a holder back from the engine's
 * outage stores the trades of that time (a replay across it has them all);
 * the trades Query twins answer from the stream and page across replicas.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.ts';
import { decodeCursor } from '../../src/hub/cursor.ts';
import { startNatsServer, useOwnNatsServer } from '../helpers/nats-server.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startInProcessReplica, type ReplicaSettings } from '../helpers/in-process-replica.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, postGraphQL, waitFor, wsClient } from '../helpers/gateway.ts';
import { wireTradeMaker } from '../helpers/upstream-trades.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const TRADES = 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { id cursor timestamp } }';

/** `count` wire trades, newest first as the exchange sends a frame, stamped from now on as the exchange's are (the reader compares a frame's time with the engine's return). */
const wireTrades = wireTradeMaker({ epoch: Date.now(), newestFirst: true });

type Settings = ReplicaSettings;
const replica = startInProcessReplica;

async function cluster(settings: Settings = {}, bSettings: Settings = settings): Promise<{ exchange: FakeExchange; a: App; b: App }> {
  const exchange = await startFakeExchange();
  onDispose(() => exchange.close());
  const name = uniqueClusterName();
  const a = await replica(exchange, name, 'a', settings);
  const b = await replica(exchange, name, 'b', bSettings);
  return { exchange, a, b };
}

interface Trade {
  readonly id: string;
  readonly cursor: string;
  readonly timestamp: string;
}

interface Got {
  readonly trades: Array<Trade>;
  readonly errors: Array<Record<string, unknown>>;
  /** Trades and errors in the order they came. */
  readonly order: string[];
}

/** Subscribes to the trades (after `after` when given) on `app` and collects what comes until `drop()`. */
function follow(app: App, after?: string): { got: Got; drop: () => Promise<void> } {
  const got: Got = { trades: [], errors: [], order: [] };
  const client = wsClient(app.url.replace(/^http/, 'ws'));
  let dropped = false;
  client.subscribe(
    { query: TRADES, variables: after === undefined ? {} : { after } },
    {
      next: (r) => {
        if (dropped) return;
        const trades = (r.data as { futuresTrades?: Array<Trade> } | null)?.futuresTrades ?? [];
        got.trades.push(...trades);
        got.order.push(...trades.map((t) => t.id));
        for (const e of r.errors ?? []) {
          const extensions = { ...(e.extensions ?? {}) };
          got.errors.push(extensions);
          got.order.push(`!${String(extensions['reason'])}`);
        }
      },
      error: (e) => void got.errors.push({ code: 'CLOSED', detail: String(e) }),
      complete: () => undefined,
    },
  );
  return {
    got,
    drop: async () => {
      dropped = true;
      await client.dispose();
    },
  };
}

/** Sends a trade now and then until `got` has one: its replica's feed is open. */
async function following(exchange: FakeExchange, got: Got): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (got.trades.length === 0) {
    if (Date.now() > deadline) throw new Error('the replica never followed the topic');
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 100));
}

const holding = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY)).length;

async function queryTrades(app: App, args: string): Promise<{ rows: Array<Trade>; errors: unknown[] }> {
  const { body } = await postGraphQL(app.url, { query: `{ futuresTrades(symbol: "BTCUSD"${args}) { id cursor } }` });
  const data = body['data'] as { futuresTrades: Array<Trade> } | null | undefined;
  return { rows: data?.futuresTrades ?? [], errors: (body['errors'] as unknown[] | undefined) ?? [] };
}

describe('cursors in a cluster (the stream is the window)', () => {
  it('gives the same trade the same cursor on both replicas', async () => {
    const { exchange, a, b } = await cluster();
    const atA = follow(a).got;
    const atB = follow(b).got;
    await waitFor(() => holding(exchange) === 2, 'both replicas holding the trades upstream', 10_000);
    await following(exchange, atA);
    await following(exchange, atB);
    const [fromA, fromB] = [atA.trades.length, atB.trades.length];
    for (let i = 0; i < 5; i++) exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => atA.trades.length >= fromA + 15 && atB.trades.length >= fromB + 15, 'every trade at both replicas', 10_000);
    expect(atB.trades.slice(fromB)).toEqual(atA.trades.slice(fromA));
    // Each cursor names the trade's own stream sequence: distinct, rising in the stream's order.
    const positions = atA.trades.map((t) => {
      const decoded = decodeCursor(t.cursor, { channel: 'futuresTrades', key: 'BTCUSD' });
      return decoded.ok ? decoded.cursor.position : -1;
    });
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions[0]).toBeGreaterThan(0);
  });

  it('resumes a cursor taken on replica A on replica B: no trade lost, none repeated, under a steady flow', async () => {
    const { exchange, a, b } = await cluster();
    const first = follow(a);
    const observer = follow(b).got;
    await waitFor(() => holding(exchange) === 2, 'both replicas holding the trades upstream', 10_000);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    await waitFor(() => first.got.trades.length === 1 && observer.trades.length === 1, 'a first trade at both', 10_000);
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => first.got.trades.length >= 20, 'the first trades at A', 10_000);
    // The client's socket drops: its newest trade's cursor is all it keeps (a live message lists its trades newest first).
    await first.drop();
    const last = [...first.got.trades].sort((x, y) => x.timestamp.localeCompare(y.timestamp)).at(-1);
    expect(last).toBeDefined();
    await new Promise((r) => setTimeout(r, 50));
    const resumed = follow(b, last?.cursor).got;
    await waitFor(() => resumed.trades.length >= 40, 'the replay and live trades at B', 10_000);
    flowing = false;
    await flow;
    const ids = () => [...first.got.trades, ...resumed.trades].map((t) => t.id);
    await waitFor(() => ids().length >= observer.trades.length, 'every trade the observer got', 10_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(resumed.errors).toEqual([]);
    expect(new Set(ids()).size).toBe(ids().length);
    expect([...ids()].sort()).toEqual(observer.trades.map((t) => t.id).sort());
  });

  it('answers a cursor past what the stream keeps with CURSOR_EXPIRED, then what is kept, then live', async () => {
    const { exchange, a, b } = await cluster({ maxEvents: 100 });
    const atA = follow(a).got;
    await waitFor(() => holding(exchange) >= 1, 'the trades upstream', 10_000);
    await following(exchange, atA);
    const base = atA.trades.length;
    // Frame by frame: a live reader more than the per-topic limit behind would find the oldest gone.
    for (let i = 1; i <= 13; i++) {
      exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(10));
      await waitFor(() => atA.trades.length >= base + 10 * i, 'the frame at A', 10_000);
    }
    const oldest = atA.trades[0];
    const resumed = follow(b, oldest?.cursor).got;
    await waitFor(() => resumed.trades.length >= 100, 'the kept trades at B', 10_000);
    expect(resumed.order[0]).toBe('!CURSOR_EXPIRED');
    expect(resumed.errors[0]).toMatchObject({ code: 'STREAM_INTERRUPTED', reason: 'CURSOR_EXPIRED' });
    expect(resumed.trades.map((t) => t.id)).toEqual(atA.trades.slice(-100).map((t) => t.id));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    await waitFor(() => resumed.trades.length >= 101, 'live after the replay', 10_000);
  });

  it("brings a holder's upstream gap to the other replica's client at its place, live and replayed", async () => {
    const { exchange, a, b } = await cluster({ publishers: 1 });
    follow(a);
    await waitFor(() => holding(exchange) === 1, 'A holding the trades upstream', 10_000);
    const atB = follow(b).got;
    await following(exchange, atB);
    const gapAt = atB.trades.length + 3;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => atB.trades.length >= gapAt, 'the first trades at B', 10_000);
    const before = atB.trades.at(-1)?.cursor;
    // The holder's Coincall connection drops; what the exchange sends meanwhile reaches no one.
    exchange.connections.find((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY))?.socket.terminate();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => holding(exchange) === 1, 'A subscribed again', 10_000);
    await waitFor(() => atB.errors.length >= 1, 'the gap at B', 10_000);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => atB.trades.length >= gapAt + 3, 'the trades after the gap at B', 10_000);
    expect(atB.errors).toEqual([expect.objectContaining({ code: 'STREAM_INTERRUPTED', reason: 'UPSTREAM' })]);
    expect(atB.order.slice(gapAt)).toEqual(['!UPSTREAM', ...atB.trades.slice(gapAt).map((t) => t.id)]);

    const replayed = follow(b, before).got;
    await waitFor(() => replayed.trades.length >= 3, 'the replay across the gap', 10_000);
    expect(replayed.order).toEqual(['!UPSTREAM', ...atB.trades.slice(gapAt).map((t) => t.id)]);
  });

  it("does not report a holder's upstream gap that the other publisher covered", async () => {
    const logs = captureLogs();
    const { exchange, a, b } = await cluster({ logger: logs.logger }, {});
    follow(a);
    await waitFor(() => holding(exchange) === 1, 'A holding the trades upstream', 10_000);
    const atB = follow(b).got;
    await waitFor(() => holding(exchange) === 2, 'B holding the trades upstream too', 10_000);
    await following(exchange, atB);
    // A's Coincall connection drops (A opened its connections first); B's stays and stores what is sent meanwhile.
    const held = exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY));
    held[0]?.socket.terminate();
    const base = atB.trades.length;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => holding(exchange) === 2, 'A subscribed again', 10_000);
    const judged = () => logs.lines.find((l) => l.msg === 'cluster holder: its upstream had a gap');
    await waitFor(() => judged() !== undefined, "A's gap judged", 10_000);
    expect(judged()?.obj).toMatchObject({ outcome: 'covered' });
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => atB.trades.length >= base + 4, 'every trade at B', 10_000);
    expect(atB.errors).toEqual([]);
  });

  it('a holder back from serving alone stores the trades of that time: a replay across the outage has every one, no marker', async () => {
    const nats = await startNatsServer();
    const logs = captureLogs();
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const a = await replica(exchange, uniqueClusterName(), 'a', { natsUrl: nats.url, logger: logs.logger });
    const atA = follow(a).got;
    await waitFor(() => holding(exchange) === 1, 'A holding the trades upstream', 10_000);
    await following(exchange, atA);
    const before = atA.trades.at(-1)?.cursor;
    const pre = atA.trades.length;
    await nats.kill();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => atA.trades.length >= pre + 2, 'trades from the own upstream while the engine is away', 10_000);
    await nats.start();
    const back = () => logs.lines.find((l) => l.msg === 'cluster: back on the engine after serving alone; its holder catches up');
    await waitFor(() => back() !== undefined, 'A back on the engine', 20_000);
    const base = atA.trades.length;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => atA.trades.length >= base + 2, 'trades through the engine again', 10_000);
    // Its own clients were served throughout: nothing said live.
    expect(atA.errors).toEqual([]);

    const replayed = follow(a, before).got;
    await waitFor(() => replayed.trades.length >= 4, 'the replay across the outage', 10_000);
    // The outage's trades first (the holder's catch-up stored them before its next batch), then the later ones.
    const ids = (from: number, to?: number) =>
      atA.trades
        .slice(from, to)
        .map((t) => t.id)
        .sort();
    expect(replayed.order.slice(0, 2).sort()).toEqual(ids(pre, pre + 2));
    expect(replayed.order.slice(2).sort()).toEqual(ids(base));
    expect(replayed.errors).toEqual([]);
  });

  it('answers the trades Query twins from the stream and pages them across replicas', async () => {
    const { exchange, a, b } = await cluster();
    const atA = follow(a).got;
    await waitFor(() => holding(exchange) >= 1, 'the trades upstream', 10_000);
    await following(exchange, atA);
    const base = atA.trades.length;
    for (let i = 0; i < 4; i++) exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    await waitFor(() => atA.trades.length >= base + 12, 'every trade at A', 10_000);
    const all = atA.trades.map((t) => t.id);

    // B has no subscription of its own: the stream answers.
    const recent = await queryTrades(b, ', limit: 5');
    expect(recent.errors).toEqual([]);
    expect(recent.rows.map((t) => t.id)).toEqual(all.slice(-5).reverse());

    const pages: string[] = [];
    let cursor = atA.trades[0]?.cursor ?? '';
    for (let i = 0; ; i++) {
      const page = await queryTrades(i % 2 === 0 ? b : a, `, after: "${cursor}", limit: 4`);
      expect(page.errors).toEqual([]);
      expect(page.rows.length).toBeLessThanOrEqual(4);
      if (page.rows.length === 0) break;
      pages.push(...page.rows.map((t) => t.id));
      cursor = page.rows.at(-1)?.cursor ?? cursor;
    }
    expect(pages).toEqual(all.slice(1));
  });
});
