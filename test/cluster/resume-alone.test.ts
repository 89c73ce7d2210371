/**
 * A client resuming on a replica that serves its trades topic alone (the
 * engine, the test's own nats-server, killed): two replicas in one process on
 * a stand-in exchange. The cursor is of a trade the other replica served
 * alone (its position only the last sequence that replica saw, as every trade
 * the resumed replica serves alone carries). The replay cannot be read: the
 * client is told (STREAM_INTERRUPTED, ENGINE), then gets every trade the
 * replica serves from its own upstream, none cut for its stand-in position.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor, wsClient } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { eventually } from '../helpers/replica-process.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const TRADES = 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { id cursor price } }';
/** How long a step of the cluster may take here (lease TTL 3 s). */
const STEP_MS = 20_000;

let tradeSeq = 0;
/** One BTCUSD wire trade stamped now; its price counts up (the order trades were sent in). */
const wireTrade = () => ({ s: 'BTCUSD', pr: String(70_000 + ++tradeSeq), v: '0.1', sd: 1, ts: Date.now() });
const send = (exchange: FakeExchange, n = 1) => exchange.publish(TRADES_DT, 'lastTrade', BTC, Array.from({ length: n }, wireTrade));

const holding = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY)).length;

interface Got {
  /** Each trade's price, in order. */
  readonly prices: number[];
  readonly cursors: string[];
  /** Each error's code and reason, in order. */
  readonly errors: Array<Record<string, unknown>>;
}

/** Subscribes to the trades (after `after` when given) on `app`. */
function follow(app: App, after?: string): Got {
  const got: Got = { prices: [], cursors: [], errors: [] };
  const client = wsClient(app.url.replace(/^http/, 'ws'));
  client.subscribe(
    { query: TRADES, variables: after === undefined ? {} : { after } },
    {
      next: (r) => {
        const trades = (r.data as { futuresTrades?: Array<{ cursor: string; price: string }> } | null)?.futuresTrades ?? [];
        got.prices.push(...trades.map((t) => Number(t.price)));
        got.cursors.push(...trades.map((t) => t.cursor));
        for (const e of r.errors ?? []) got.errors.push({ code: e.extensions?.['code'], reason: e.extensions?.['reason'] });
      },
      error: (e) => void got.errors.push({ code: 'CLOSED', detail: String(e) }),
      complete: () => void got.errors.push({ code: 'COMPLETE' }),
    },
  );
  return got;
}

describe('a client resuming on a replica serving alone', () => {
  it('is told the replay cannot be read (ENGINE), then gets every trade the replica serves alone', { timeout: 120_000 }, async () => {
    const nats = await startNatsServer();
    const exchange = await startFakeExchange({ replayOnSubscribe: 0 });
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const a = await startInProcessReplica(exchange, name, 'a', { natsUrl: nats.url, publishers: 1 });
    const atA = follow(a);
    await waitFor(() => holding(exchange) === 1, 'A holding the trades upstream', STEP_MS);
    const b = await startInProcessReplica(exchange, name, 'b', { natsUrl: nats.url, publishers: 1 });
    const atB = follow(b);
    await eventually(
      async () => {
        send(exchange);
        await new Promise((r) => setTimeout(r, 100));
        return atB.prices.length > 0 && atA.prices.length > 0;
      },
      'both replicas following the topic',
      STEP_MS,
    );

    await nats.kill();
    await waitFor(() => holding(exchange) === 2, 'B serving alone from its own upstream', STEP_MS);
    // A trade A serves alone: its cursor carries only the last sequence A saw.
    send(exchange);
    const servedAlone = 70_000 + tradeSeq;
    await waitFor(() => atA.prices.includes(servedAlone) && atB.prices.includes(servedAlone), 'the trade at both replicas', STEP_MS);

    const resumed = follow(b, atA.cursors[atA.prices.indexOf(servedAlone)]);
    await waitFor(() => resumed.errors.length > 0, 'the resumed client told of its replay', STEP_MS);
    expect(resumed.errors[0]).toEqual({ code: 'STREAM_INTERRUPTED', reason: 'ENGINE' });
    send(exchange, 3);
    const live = [1, 2, 3].map((n) => servedAlone + n);
    await waitFor(() => live.every((price) => resumed.prices.includes(price)), 'the trades B serves alone at the resumed client', STEP_MS);
    expect([...resumed.prices].sort((x, y) => x - y)).toEqual(live);
    expect(resumed.errors.every((e) => e['code'] === 'STREAM_INTERRUPTED')).toBe(true);
  });
});
