/**
 * The engine's streams deleted and created again (by an operator, or a
 * replica's start: `openEngine` ensures them) while a replica stays connected
 * to NATS, on the test's own nats-server with one replica in this process.
 * The new streams number their messages from 1 again, far below where the
 * replica's feeds were; nothing reconnects. Its clients keep receiving within
 * seconds: the trades client is told first (`STREAM_INTERRUPTED`, ENGINE:
 * the old stream's tail is gone), gets no trade twice, and the trades after
 * carry cursors of the new stream's epoch (one resumes on the same replica
 * with the trades after it); the book client gets the new values. The
 * operator reads a warning per feed, and the trades notice is counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openEngine, streamEpoch, type EngineSettings } from '../../src/sources/cluster/engine.ts';
import { clusterNames, type ClusterNames } from '../../src/sources/cluster/subjects.ts';
import { encodeEnvelope } from '../../src/sources/cluster/envelope.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { deliveryOf, missedOutside, steadyTrades, watchTrades } from '../helpers/trade-flow.ts';
import { bookSender, watchBestBids } from '../helpers/book-flow.ts';

useOwnNatsServer();
afterEach(disposeAll);

const BTC = { symbol: 'BTCUSD' };
/** Messages of other topics stored before: the old streams' sequences run far past what the new ones reach in the test. */
const PUMPED = 1_000;
/** How long the clients may take to receive again after the streams are back. */
const BACK_MS = 15_000;

const holding = (exchange: FakeExchange, dataType: string) =>
  exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(`${dataType} ${JSON.stringify(BTC)}`)).length;

/** The same settings as the replica's (`in-process-replica.ts`): the streams come back as a replica's start makes them. */
const settingsOf = (names: ClusterNames): EngineSettings => ({
  servers: natsUrl(),
  names,
  retentionMs: 60_000,
  maxEventsPerTopic: 1_000,
  leaseTtlMs: 3_000,
  node: 'operator',
});

/** Stores `PUMPED` messages on another topic's subject of each stream (ETHUSD). */
async function pump(settings: EngineSettings): Promise<void> {
  const engine = await openEngine(settings);
  try {
    const { names } = settings;
    const trades = names.subject({ id: 'futures:futuresTrades:ETHUSD', kind: 'event', market: 'futures' });
    const book = names.subject({ id: 'futures:futuresOrderBook:ETHUSD', kind: 'state', market: 'futures' });
    for (let n = 0; n < PUMPED; n += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          Promise.all([
            engine.js.publish(trades, encodeEnvelope([{ id: `e${n + i}` }], 1)),
            engine.js.publish(book, encodeEnvelope([], 1)),
          ]),
        ),
      );
  } finally {
    await engine.close();
  }
}

/** Deletes both streams, then creates them again as a replica's start does; resolves the new trades stream's epoch. */
async function recreate(settings: EngineSettings): Promise<string> {
  const operator = await openEngine(settings);
  await operator.jsm.streams.delete(settings.names.eventStream);
  await operator.jsm.streams.delete(settings.names.stateStream);
  await operator.close();
  const again = await openEngine(settings);
  const { created } = await again.jsm.streams.info(settings.names.eventStream);
  await again.close();
  return streamEpoch(settings.names.eventStream, created);
}

const epochOf = (cursor: string): unknown => (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[])[3];

describe('streams deleted and created again under a connected replica', () => {
  it(
    'its trades and book clients keep receiving: told of the lost tail, no repeat, cursors of the new epoch',
    { timeout: 90_000 },
    async () => {
      const exchange = await startFakeExchange();
      onDispose(() => exchange.close());
      const name = uniqueClusterName();
      const settings = settingsOf(clusterNames(name));
      const logs = captureLogs();
      const app = await startInProcessReplica(exchange, name, 'a', { logger: logs.logger });
      const wsUrl = app.url.replace(/^http/, 'ws');
      await pump(settings);

      const trades = watchTrades(wsUrl);
      const books = watchBestBids(wsUrl);
      await waitFor(() => holding(exchange, 'lastTrade') === 1 && holding(exchange, 'orderBook') === 1, 'the replica holding both');
      const sendBook = bookSender(exchange).send;
      const flow = steadyTrades(exchange, { everyMs: 50 });
      const firstBook = sendBook();
      await waitFor(() => trades.prices.length >= 10 && books.includes(firstBook), 'trades and the book before');

      const epoch = await recreate(settings);
      const from = flow.sent.length;
      // One value, right away: a feed that merely went on from the new stream's end when it noticed would never show it.
      const bookAfter = sendBook();
      await waitFor(() => books.includes(bookAfter), 'the book value sent once the streams came back', BACK_MS);
      const flowing = () => flow.sent.length >= from + 60 && deliveryOf(trades, flow.sent, from + 40, from + 60).missing.length === 0;
      await waitFor(flowing, 'trades after the streams came back', BACK_MS);
      flow.stop();
      const last = flow.sent.at(-1)?.price ?? '';
      await waitFor(() => trades.prices.includes(last), 'the last trade');

      // Told first, once: the trades the old stream held after the last one delivered are gone with it.
      expect(trades.interruptions.map((i) => i.reason)).toEqual(['ENGINE']);
      const [told] = trades.interruptions;
      const { missing, repeated } = deliveryOf(trades, flow.sent, 0);
      expect(repeated).toEqual([]);
      expect(missedOutside(missing, flow.sent, told, 1_000)).toEqual([]);
      expect(trades.problems).toEqual([]);
      // Every trade after the notice carries the new stream's epoch; one of them resumes on the same replica.
      const after = trades.cursors.slice(told?.afterTrades ?? 0);
      expect(after.length).toBeGreaterThan(20);
      expect(new Set(after.map(epochOf))).toEqual(new Set([epoch]));
      const k = (told?.afterTrades ?? 0) + 5;
      const resumed = watchTrades(wsUrl, trades.cursors[k]);
      const rest = trades.prices.slice(k + 1);
      await waitFor(() => resumed.prices.length >= rest.length, 'the resumed trades');
      expect(resumed.prices).toEqual(rest);
      expect(resumed.interruptions).toEqual([]);
      expect(resumed.problems).toEqual([]);

      const bookNext = sendBook();
      await waitFor(() => books.at(-1) === bookNext, 'the next book value');

      const metrics = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toContain('coincall_gateway_cluster_gap_markers_total{reason="ENGINE",outcome="behind"} 1');
      const warned = logs.lines.filter((l) => l.level === 'warn' && l.msg?.includes('cluster stream was created again') === true);
      expect(warned.map((l) => String((l.obj as { topic?: string }).topic).split(':')[1]).sort()).toEqual([
        'futuresOrderBook',
        'futuresTrades',
      ]);
    },
  );
});
