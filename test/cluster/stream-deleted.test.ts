/**
 * The engine's streams and lease bucket deleted under a connected replica, and
 * nobody creating them again (an operator's mistake, a store wiped): the
 * replica's upkeep creates them again within seconds, it takes its leases
 * again, and its clients receive again: the trades client told first
 * (`STREAM_INTERRUPTED`, ENGINE: what the old stream held is gone), the book
 * client the new values. Without the upkeep they stayed silent until a
 * replica restarted. The test's own nats-server, one replica in this process.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { bookSender, watchBestBids } from '../helpers/book-flow.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';
import { deliveryOf, steadyTrades, watchTrades } from '../helpers/trade-flow.ts';

useOwnNatsServer();
afterEach(disposeAll);

/** The upkeep's round (2 s), a lease round and a feed's recovery, with room to spare on a loaded machine. */
const BACK_MS = 20_000;

describe('streams and the lease bucket deleted under a connected replica, nobody creating them again', () => {
  it('are created again by the replica, whose trades and book clients receive again, told first', { timeout: 90_000 }, async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const names = clusterNames(name);
    const app = await startInProcessReplica(exchange, name, 'a');
    const wsUrl = app.url.replace(/^http/, 'ws');
    const trades = watchTrades(wsUrl);
    const books = watchBestBids(wsUrl);
    const sender = bookSender(exchange);
    const flow = steadyTrades(exchange, { everyMs: 50 });
    /** Sends a book value now and then until one newer than `mark` arrived. */
    const bookAfter = (mark: number) => () => (sender.send(), books.some((b) => Number(b) > mark));
    await waitFor(() => trades.prices.length >= 10, 'trades before', BACK_MS);
    await waitFor(bookAfter(sender.last()), 'a book before', BACK_MS);

    const nc = await connect({ servers: natsUrl() });
    onDispose(() => nc.close());
    const jsm = await jetstreamManager(nc);
    for (const stream of [names.eventStream, names.stateStream, `KV_${names.bucket}`]) await jsm.streams.delete(stream);
    const from = flow.sent.length;

    await waitFor(
      () => flow.sent.length >= from + 60 && deliveryOf(trades, flow.sent, flow.sent.length - 20).missing.length === 0,
      'trades again after the streams came back',
      BACK_MS,
    );
    await waitFor(bookAfter(sender.last()), 'a book value again', BACK_MS);
    flow.stop();

    expect((await jsm.streams.info(names.eventStream)).config.name).toBe(names.eventStream);
    expect(trades.interruptions.map((i) => i.reason)).toContain('ENGINE');
    expect(deliveryOf(trades, flow.sent, 0).repeated).toEqual([]);
    expect(trades.problems).toEqual([]);
  });
});
