/**
 * The engine's streams deleted under two connected replicas whose NATS user
 * may not create them (everything else the gateway needs is allowed): the
 * upkeep cannot create them again and the feeds' consumers cannot be
 * recreated, NATS up throughout. Each feed says its stream gone after its
 * grace (`feed-gone.ts`, shortened here) and its reader serves the clients
 * from the replica's own upstream: the replica that only read the topics (the
 * other holds both) gives its trades client the new trades, told first
 * (`STREAM_INTERRUPTED`, ENGINE) of those it missed, and its book client fresh
 * values. Without it they got nothing, and were not told. An admin creates the
 * streams again: the reader goes back to the engine (its own upstream
 * subscriptions end) and its clients go on, no trade twice.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openEngine, type EngineSettings } from '../../src/sources/cluster/engine.ts';
import { natsAuth } from '../../src/sources/cluster/nats-auth.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { startInProcessReplica, type ReplicaSettings } from '../helpers/in-process-replica.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { scrapeMetrics, sumOf } from '../helpers/prometheus.ts';
import { bookSender, watchBestBids } from '../helpers/book-flow.ts';
import { deliveryOf, steadyTrades, watchTrades } from '../helpers/trade-flow.ts';

afterEach(disposeAll);

const BTC = { symbol: 'BTCUSD' };
/** The feeds' grace before a stream is said gone (1 s here), and their pull's expiry (the library notices the loss within two). */
const FEED = { goneGraceMs: 1_000, expiresMs: 1_000 };
/** Notice, grace, the own upstream's subscribe, with room on a loaded machine. */
const SERVED_MS = 20_000;
const GONE_METRIC = 'coincall_gateway_cluster_feeds_gone';

const holding = (exchange: FakeExchange, dataType: string) =>
  exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(`${dataType} ${JSON.stringify(BTC)}`)).length;

/** The server's users: an admin, and the gateway's user with the cluster's subjects allowed but creating its two streams. */
function authConfig(name: string): string {
  const names = clusterNames(name);
  const allowed = JSON.stringify([`${name}.>`, `$KV.${names.bucket}.>`, '$JS.API.>', '_INBOX.>']);
  const denied = JSON.stringify([names.eventStream, names.stateStream].map((stream) => `$JS.API.STREAM.CREATE.${stream}`));
  const gateway = `permissions: { publish: { allow: ${allowed}, deny: ${denied} }, subscribe: { allow: ${allowed} } }`;
  return `authorization { users = [ { user: admin, password: adm1n }, { user: gateway, password: gw, ${gateway} } ] }`;
}

describe('streams deleted under connected replicas that may not create them again', () => {
  it(
    'are served from the own upstream, told where trades were missed, and back on the engine once created',
    { timeout: 120_000 },
    async () => {
      const name = uniqueClusterName();
      const names = clusterNames(name);
      const nats = await startNatsServer(true, { config: authConfig(name) });
      // The admin's engine, with the replicas' settings (`in-process-replica.ts`): it creates the streams, at first and again.
      const adminUrl = `nats://admin:adm1n@127.0.0.1:${nats.port}`;
      const admin: EngineSettings = {
        servers: adminUrl,
        names,
        retentionMs: 60_000,
        maxEventsPerTopic: 1_000,
        leaseTtlMs: 3_000,
        node: 'admin',
      };
      // Closed at once: an engine keeps its streams (`engine-upkeep.ts`), and the admin's may create them.
      const create = () => openEngine(admin).then((engine) => engine.close());
      await create();
      const exchange = await startFakeExchange();
      onDispose(() => exchange.close());
      const replica: ReplicaSettings = { natsUrl: `nats://gateway:gw@127.0.0.1:${nats.port}`, publishers: 1, engineGaps: { feed: FEED } };

      // a holds both topics (its clients came first; one trades publisher), b only reads them.
      const a = await startInProcessReplica(exchange, name, 'a', replica);
      const atA = watchTrades(a.url.replace(/^http/, 'ws'));
      watchBestBids(a.url.replace(/^http/, 'ws'));
      await waitFor(() => holding(exchange, 'lastTrade') === 1 && holding(exchange, 'orderBook') === 1, 'a holding both', SERVED_MS);
      const logs = captureLogs();
      const b = await startInProcessReplica(exchange, name, 'b', { ...replica, logger: logs.logger });
      const trades = watchTrades(b.url.replace(/^http/, 'ws'));
      const books = watchBestBids(b.url.replace(/^http/, 'ws'));
      const sender = bookSender(exchange);
      /** Sends a book value now and then until b's client has one newer than `mark`. */
      const bookAfter = (mark: number) => () => (sender.send(), books.some((bid) => Number(bid) > mark));
      const flow = steadyTrades(exchange, { everyMs: 50 });
      await waitFor(() => trades.prices.length >= 10 && atA.prices.length >= 10, 'trades at both before', SERVED_MS);
      await waitFor(bookAfter(sender.last()), 'a book value at b before', SERVED_MS);
      expect(holding(exchange, 'lastTrade')).toBe(1);

      const nc = await connect(natsAuth(adminUrl));
      onDispose(() => nc.close());
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(names.eventStream);
      await jsm.streams.delete(names.stateStream);
      const deleted = flow.sent.length;
      const recent = () => flow.sent.length >= deleted + 60 && deliveryOf(trades, flow.sent, flow.sent.length - 20).missing.length === 0;
      await waitFor(recent, 'new trades at b from its own upstream', SERVED_MS);
      await waitFor(bookAfter(sender.last()), 'a fresh book value at b', SERVED_MS);
      expect(holding(exchange, 'lastTrade')).toBe(2);
      // Told where it missed trades (its own upstream's first batch did not reach back): from its last trade on, once.
      expect(trades.interruptions.map((i) => i.reason)).toEqual(['ENGINE']);
      // Every trade it missed came after the last one it got before the notice, and was sent before the notice's end
      // (the notice's start is when that trade arrived, which may lag its sending on a loaded machine: compared by order).
      const [told] = trades.interruptions;
      const indexOf = (price: string | undefined) => flow.sent.findIndex((t) => t.price === price);
      const lastBefore = indexOf(trades.prices[(told?.afterTrades ?? 0) - 1]);
      const { missing } = deliveryOf(trades, flow.sent, indexOf(trades.prices[0]), indexOf(trades.prices.at(-1)));
      const outside = missing.filter((price) => indexOf(price) <= lastBefore || (flow.sent[indexOf(price)]?.at ?? 0) > (told?.until ?? 0));
      expect(outside).toEqual([]);
      const warned = logs.lines.filter((l) => l.level === 'warn' && l.msg?.includes('cluster feed cannot read its stream') === true);
      expect(warned.map((l) => String((l.obj as { topic?: string }).topic).split(':')[1]).sort()).toEqual([
        'futuresOrderBook',
        'futuresTrades',
      ]);
      expect(sumOf((await scrapeMetrics(b.port)).samples, GONE_METRIC)).toBe(2);

      // The admin creates them again: b's feeds read the new streams, its own upstream goes, its clients go on.
      await create();
      // A book value now and then: b's book reader goes back with the engine's first value.
      const backOnEngine = () => (sender.send(), holding(exchange, 'lastTrade') === 1 && holding(exchange, 'orderBook') === 1);
      await waitFor(backOnEngine, 'b back on the engine', SERVED_MS);
      expect(sumOf((await scrapeMetrics(b.port)).samples, GONE_METRIC)).toBe(0);
      const back = flow.sent.length;
      await waitFor(
        () => flow.sent.length >= back + 40 && deliveryOf(trades, flow.sent, back, back + 40).missing.length === 0,
        'trades after',
      );
      await waitFor(bookAfter(sender.last()), 'a book value from the engine', SERVED_MS);
      flow.stop();
      const last = flow.sent.at(-1)?.price ?? '';
      await waitFor(() => trades.prices.includes(last) && atA.prices.includes(last), 'the last trade at both');
      // b was told once (its time alone, judged after, is not said again); a held the topic upstream: nothing missed, nothing said.
      expect(trades.interruptions.map((i) => i.reason)).toEqual(['ENGINE']);
      expect(deliveryOf(trades, flow.sent, 0).repeated).toEqual([]);
      expect(trades.problems).toEqual([]);
      expect(atA.interruptions).toEqual([]);
      expect(deliveryOf(atA, flow.sent, 0)).toEqual({ missing: [], repeated: [] });
      expect(logs.lines.filter((l) => l.msg?.includes('cluster feed reads its stream again') === true).length).toBe(2);
    },
  );
});
