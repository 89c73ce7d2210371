/**
 * A holder paused past its lease TTL (SIGSTOP, then SIGCONT), replicas as
 * separate processes: another replica takes the book over and goes on; the
 * paused one, back, writes nothing more into the engine, drops its upstream
 * subscription, and its own clients get the new holder's books.
 *
 * The paused holder is frozen with a write in flight: its link to the engine
 * (`nats-link.ts`) holds the book value it was sending, and hands it to the
 * engine only after the new holder's writes. The engine refuses that late
 * write (`Nats-Expected-Last-Subject-Sequence` names a sequence the new
 * holder's writes moved past: "wrong last sequence", 10071), so every value
 * stored after the takeover is the new holder's. The holder's own check of
 * its lease cannot stop a write already on the wire: only the engine's fence
 * does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, DeliverPolicy } from '@nats-io/jetstream';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import type { FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor, wsClient } from '../helpers/gateway.ts';
import { startNatsLink, type NatsLink } from '../helpers/nats-link.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { holdersOf, startReplica, startReplicaExchange, TEST_LEASE_TTL_MS, type ReplicaProcess } from '../helpers/replica-process.ts';
import { NODE_HEADER, WRONG_LAST_SEQUENCE } from '../../src/sources/cluster/publisher.ts';

useOwnNatsServer();
afterEach(disposeAll);

const BOOK_DT = 32;

const bookSubscriptions = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === c.socket.OPEN && c.topics.has('orderBook {"symbol":"BTCUSD"}')).length;

/** Every value stored in the cluster's state stream from now on: who wrote it. */
async function storedWriters(clusterName: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl() });
  onDispose(() => nc.close());
  const consumer = await jetstream(nc).consumers.get(`${clusterName}_state`, { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume();
  onDispose(() => messages.stop());
  const writers: string[] = [];
  void (async () => {
    for await (const m of messages) writers.push(m.headers?.get(NODE_HEADER) ?? '?');
  })();
  return writers;
}

function booksAt(replica: ReplicaProcess): number[] {
  const levels: number[] = [];
  wsClient(replica.wsUrl).subscribe(
    { query: 'subscription { futuresOrderBook(symbol: "BTCUSD") { bids { price } } }' },
    {
      next: (result) => {
        const bids = (result.data as { futuresOrderBook?: { bids: Array<{ price: string }> } } | null)?.futuresOrderBook?.bids;
        if (bids?.[0] !== undefined) levels.push(Number(bids[0].price));
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return levels;
}

/** The reply subject of the first write of a state value the link holds (undefined while there is none). */
function heldStateWrite(link: NatsLink, clusterName: string): string | undefined {
  return new RegExp(`HPUB ${clusterName}\\.st\\.\\S+ (\\S+) \\d+ \\d+\r\n`).exec(link.held())?.[1];
}

/** The engine's answer to the write whose reply subject is `inbox`, once it came through the link. */
function answerTo(link: NatsLink, inbox: string): unknown {
  const escaped = inbox.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `MSG <subject> <sid> [reply-to] <size>`: no reply-to here (two spaces).
  const reply = new RegExp(`MSG ${escaped} \\d+ +\\d+\r\n([^\r]*)\r\n`).exec(link.answers());
  return reply?.[1] === undefined ? undefined : JSON.parse(reply[1]);
}

const counter = (metrics: string, result: string) =>
  Number(new RegExp(`coincall_gateway_cluster_publishes_total\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);

describe('a book holder paused past its lease TTL', () => {
  it('is replaced; back, its late writes never reach the engine and it stops publishing', { timeout: 180_000 }, async () => {
    const stand = await startReplicaExchange();
    const clusterName = uniqueClusterName();
    // A reaches the engine through a link that can hold what it sends.
    const link = await startNatsLink(natsUrl());
    const [paused, other] = await Promise.all([
      startReplica({ natsUrl: link.url, clusterName, node: 'a', ...stand.urls }),
      startReplica({ natsUrl: natsUrl(), clusterName, node: 'b', ...stand.urls }),
    ]);
    // A's client first: A takes the book.
    const books = new Map([[paused.node, booksAt(paused)]]);
    await waitFor(() => bookSubscriptions(stand.exchange) === 1, 'one holder of the book', 15_000);
    expect(await holdersOf(other, 'futuresOrderBook')).toEqual([paused.node]);
    books.set(other.node, booksAt(other));
    let level = 40_000;
    const timer = setInterval(() => {
      level++;
      stand.exchange.publish(BOOK_DT, 'orderBook', { symbol: 'BTCUSD' }, [
        { s: 'BTCUSD', bids: [{ pr: String(level), v: '1' }], asks: [{ pr: String(level + 1), v: '1' }], ts: Date.now() },
      ]);
    }, 50);
    onDispose(() => clearInterval(timer));
    await waitFor(() => [...books.values()].every((b) => b.length >= 3), 'books at both replicas', 15_000);
    const writers = await storedWriters(clusterName);

    // Frozen with a book value on its way to the engine.
    link.hold();
    let inbox: string | undefined;
    await waitFor(() => (inbox = heldStateWrite(link, clusterName)) !== undefined, 'a book write held on the link', 10_000);
    paused.pause();
    const levelAtPause = level;
    const otherBooks = books.get(other.node) ?? [];
    // The other replica takes the lease once it expired and publishes its own upstream's books.
    await waitFor(() => otherBooks.some((b) => b > levelAtPause), 'books from the new holder', TEST_LEASE_TTL_MS + 5_000);
    await waitFor(() => writers.filter((w) => w === other.node).length >= 5, 'values stored by the new holder', 5_000);
    // Its socket to the exchange kept filling while it was frozen: frames it reads when it wakes are late.
    await new Promise((r) => setTimeout(r, 500));
    const takenOver = writers.indexOf(other.node);
    // The write it had in flight reaches the engine now, after the new holder's: refused.
    link.release();
    await waitFor(() => answerTo(link, inbox ?? '') !== undefined, 'the engine’s answer to the late write', 10_000);
    expect(answerTo(link, inbox ?? '')).toMatchObject({ error: { err_code: WRONG_LAST_SEQUENCE } });
    paused.resume();
    const levelAtResume = level;
    const pausedBooks = books.get(paused.node) ?? [];
    await waitFor(() => pausedBooks.some((b) => b > levelAtResume), 'the paused replica’s clients fed again', 10_000);
    // It lets its upstream subscription go (the new holder's is the only one left).
    await waitFor(() => bookSubscriptions(stand.exchange) === 1, 'one book subscription upstream', 15_000);
    const storedAfterResume = counter(await paused.metrics(), 'stored');
    await waitFor(() => writers.length >= takenOver + 40, 'the new holder going on', 10_000);

    expect(takenOver).toBeGreaterThanOrEqual(0);
    expect(writers.slice(takenOver).filter((w) => w !== other.node)).toEqual([]);
    expect(counter(await paused.metrics(), 'stored')).toBe(storedAfterResume);
    expect(await holdersOf(other, 'futuresOrderBook')).toEqual([other.node]);
    const pausedLevels = pausedBooks.filter((b) => b > levelAtResume);
    // Its clients see the books in order: nothing stale arrives after a newer one.
    expect(pausedLevels).toEqual([...pausedLevels].sort((x, y) => x - y));
  });
});
