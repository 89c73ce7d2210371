/**
 * A holder paused past its lease TTL (SIGSTOP, then SIGCONT), replicas as
 * separate processes: another replica takes the book over and goes on; the
 * paused one, back, writes nothing more into the engine (every value stored
 * after the takeover is the new holder's: its late writes are fenced), drops
 * its upstream subscription, and its own clients get the new holder's books.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, DeliverPolicy } from '@nats-io/jetstream';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import type { FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor, wsClient } from '../helpers/gateway.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { holdersOf, startReplica, startReplicaExchange, TEST_LEASE_TTL_MS, type ReplicaProcess } from '../helpers/replica-process.ts';
import { NODE_HEADER } from '../../src/sources/cluster/publisher.ts';

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

const counter = (metrics: string, result: string) =>
  Number(new RegExp(`coincall_gateway_cluster_publishes_total\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);

describe('a book holder paused past its lease TTL', () => {
  it('is replaced; back, its late writes never reach the engine and it stops publishing', { timeout: 180_000 }, async () => {
    const stand = await startReplicaExchange();
    const clusterName = uniqueClusterName();
    const all = await Promise.all(['a', 'b'].map((node) => startReplica({ natsUrl: natsUrl(), clusterName, node, ...stand.urls })));
    const books = new Map(all.map((r) => [r.node, booksAt(r)]));
    await waitFor(() => bookSubscriptions(stand.exchange) === 1, 'one holder of the book', 15_000);
    let level = 40_000;
    const timer = setInterval(() => {
      level++;
      stand.exchange.publish(BOOK_DT, 'orderBook', { symbol: 'BTCUSD' }, [
        { s: 'BTCUSD', bids: [{ pr: String(level), v: '1' }], asks: [{ pr: String(level + 1), v: '1' }], ts: Date.now() },
      ]);
    }, 50);
    onDispose(() => clearInterval(timer));
    await waitFor(() => [...books.values()].every((b) => b.length >= 3), 'books at both replicas', 15_000);
    const holder = (await holdersOf(all[0] as ReplicaProcess, 'futuresOrderBook'))[0];
    const paused = all.find((r) => r.node === holder) as ReplicaProcess;
    const other = all.find((r) => r !== paused) as ReplicaProcess;
    const writers = await storedWriters(clusterName);

    paused.pause();
    const levelAtPause = level;
    const otherBooks = books.get(other.node) ?? [];
    // The other replica takes the lease once it expired and publishes its own upstream's books.
    await waitFor(() => otherBooks.some((b) => b > levelAtPause), 'books from the new holder', TEST_LEASE_TTL_MS + 5_000);
    await waitFor(() => writers.filter((w) => w === other.node).length >= 5, 'values stored by the new holder', 5_000);
    // Its socket to the exchange kept filling while it was frozen: frames it reads when it wakes are late.
    await new Promise((r) => setTimeout(r, 500));
    const takenOver = writers.indexOf(other.node);
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
