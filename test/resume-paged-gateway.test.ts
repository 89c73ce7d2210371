/**
 * A long resume through the whole gateway, over the scripted stand-in
 * exchange and the real graphql-ws client: 5 000 trades after the cursor
 * arrive complete, oldest first, none repeated, while trades go on live, and
 * the live ones follow the seam in order. The window (the gateway's own
 * memory window, its reads counted) is read a page at a time, never for the
 * whole backlog at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import { REPLAY_PAGE_TRADES } from '../src/hub/resume-pages.ts';
import type { ResumeWindow } from '../src/hub/resume-window.ts';
import { startGatewayOnFakeExchange } from './helpers/gateway-on-fake.ts';
import { disposeAll, onDispose, waitFor, wsClient } from './helpers/gateway.ts';
import { wireTradeMaker } from './helpers/upstream-trades.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const TRADES = 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { price timestamp cursor } }';
const BACKLOG = 5_000;
/** Live trades sent once the backlog was replayed (more are sent while it is). */
const AFTER = 100;

interface Row {
  readonly price: string;
  readonly timestamp: string;
  readonly cursor: string;
}

/** The gateway's memory window, with the trades each read asked for and got. */
function countedWindow() {
  const inner = createMemoryWindow({ maxTradesPerTopic: 20_000, windowMs: 600_000 });
  onDispose(() => inner.close());
  const reads: Array<{ asked: number | undefined; got: number }> = [];
  const window: ResumeWindow = {
    ...inner,
    epoch: inner.epoch,
    after: async (topic, epoch, position, limit) => {
      const read = await inner.after(topic, epoch, position, limit);
      reads.push({ asked: limit, got: read.entries.filter((e) => e.kind === 'trade').length });
      return read;
    },
  };
  return { window, reads };
}

/** Subscribes with `client`, collecting each message's trades (by number: price − 60 000) until `stop`. */
function collect(client: ReturnType<typeof wsClient>, after: string | undefined) {
  const messages: number[][] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe<{ futuresTrades: Row[] }>(
    { query: TRADES, variables: { after: after ?? null } },
    {
      next: ({ data, errors: e }) => {
        if (e !== undefined) errors.push(...e);
        messages.push((data?.futuresTrades ?? []).map((t) => Number(t.price) - 60_000));
      },
      error: (e) => void errors.push(e),
      complete: () => undefined,
    },
  );
  return { messages, errors, stop, count: () => messages.reduce((n, m) => n + m.length, 0) };
}

describe('a resume of 5 000 trades over graphql-ws', () => {
  it('arrives complete, in order, none repeated, read a page at a time, with the live trades after the seam', async () => {
    const { window, reads } = countedWindow();
    const { gateway, exchange } = await startGatewayOnFakeExchange({}, { upstream: { resumeWindow: window } });
    const wireTrades = wireTradeMaker({ newestFirst: true });
    const url = gateway.wsUrl;

    // A live subscriber keeps the topic open; its first trade's cursor is where the resume starts.
    const follower = collect(wsClient(url), undefined);
    let cursor: string | undefined;
    const first = wsClient(url).subscribe<{ futuresTrades: Row[] }>(
      { query: TRADES, variables: { after: null } },
      { next: ({ data }) => void (cursor ??= data?.futuresTrades[0]?.cursor), error: () => undefined, complete: () => undefined },
    );
    await waitFor(
      () => exchange.connections.some((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY)),
      'the trades topic live upstream',
    );
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    await waitFor(() => cursor !== undefined, 'the first trade');
    first();
    for (let sent = 0; sent < BACKLOG; sent += 100) exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(100));
    await waitFor(() => follower.count() >= 1 + BACKLOG, 'the backlog delivered live');

    const resumed = collect(wsClient(url), cursor);
    // Trades go on while the backlog is replayed, and after.
    let live = 0;
    const more = (n: number) => {
      exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(n));
      live += n;
    };
    while (resumed.count() < BACKLOG) {
      more(5);
      await new Promise((r) => setTimeout(r, 1));
    }
    for (let sent = 0; sent < AFTER; sent += 5) more(5);
    await waitFor(() => resumed.count() >= BACKLOG + live, 'the replay and the live trades', 20_000);
    resumed.stop();

    expect(resumed.errors).toEqual([]);
    // A replayed message lists its trades oldest first, a live one newest first: each in time order, one after the other.
    const inOrder = resumed.messages.flatMap((m) => [...m].sort((a, b) => a - b));
    expect(inOrder).toEqual(Array.from({ length: BACKLOG + live }, (_, i) => i + 2));
    expect(live).toBeGreaterThan(AFTER);
    // The backlog came first, oldest first, in pages.
    expect(resumed.messages.flat().slice(0, BACKLOG)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 2));
    // Read a page at a time: never the whole backlog at once.
    expect(reads.length).toBeGreaterThanOrEqual(BACKLOG / REPLAY_PAGE_TRADES);
    expect(reads.every((r) => r.asked === REPLAY_PAGE_TRADES && r.got <= REPLAY_PAGE_TRADES)).toBe(true);
    follower.stop();
  });
});
