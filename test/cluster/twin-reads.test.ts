/**
 * The trades Query twin in a cluster reads no more of the engine's stream than
 * it answers: among thousands of stored trades, a page after a cursor asks the
 * engine for `limit` trades (not every trade after the cursor), the newest
 * trades for `limit`, and a page that `side` leaves short reads on, a page at
 * a time, until it is full. One replica in the test's process on the file's
 * own nats-server; its debug line 'cluster: read the trades stream' says what
 * each read asked the engine for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/hub/cursor.ts';
import { clusterTopicOf } from '../../src/sources/cluster/cluster-topic.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import { CHANNELS } from '../../src/channels/registry.ts';
import { engineSettings, testEngine, uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, postGraphQL } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

/** BTCUSD trades stored (and as many of ETHUSD, in runs of RUN each: their sequences interleave). */
const STORED = 3_000;
const RUN = 10;
const KEEP = 10_000;
const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const trade = (key: string, n: number) => ({
  id: `${key}-${n}`,
  symbol: key,
  price: String(n),
  volume: '1',
  side: n % 2 === 0 ? 'BUY' : 'SELL',
  timestamp: 1_700_000_000_000 + n,
});
const idOf = (item: unknown): string => (typeof item === 'object' && item !== null && 'id' in item ? String(item.id) : '');
const names = (numbers: readonly number[]) => numbers.map((n) => `BTCUSD-${n}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the trades Query twin in a cluster', () => {
  it('asks the engine for about what it answers, among thousands of stored trades', { timeout: 60_000 }, async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const logs = captureLogs();
    const app = await startInProcessReplica(exchange, name, 'a', { maxEvents: KEEP, logger: logs.logger });
    const engine = await testEngine(engineSettings({ name, maxEventsPerTopic: KEEP, leaseTtlMs: 3_000 }));
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
    const run = (key: string, from: number) => range(from, from + RUN - 1).map((n) => trade(key, n));
    for (let n = 1; n <= STORED; n += RUN) {
      await publisher.publishEvents(clusterTopicOf(CHANNELS.futuresTrades, 'BTCUSD'), run('BTCUSD', n), idOf, trade('BTCUSD', n).timestamp);
      await publisher.publishEvents(clusterTopicOf(CHANNELS.futuresTrades, 'ETHUSD'), run('ETHUSD', n), idOf, trade('ETHUSD', n).timestamp);
    }
    const subject = engine.names.subject(clusterTopicOf(CHANNELS.futuresTrades, 'BTCUSD'));
    const first = await engine.jsm.direct.getMessage(engine.names.eventStream, { seq: 1, next_by_subj: subject });
    const cursor = encodeCursor({ topic: TOPIC, epoch: engine.eventEpoch, position: first?.seq ?? 0, at: trade('BTCUSD', 1).timestamp });

    /** The query's trades, and how many messages its reads asked the engine for. */
    const twin = async (args: string) => {
      const before = logs.lines.length;
      const { body } = await postGraphQL(app.url, { query: `{ futuresTrades(symbol: "BTCUSD", ${args}) { id } }` });
      expect(body['errors']).toBeUndefined();
      const rows = (body['data'] as { futuresTrades: Array<{ id: string }> }).futuresTrades;
      const asked = logs.lines
        .slice(before)
        .filter((l) => l.msg === 'cluster: read the trades stream')
        .reduce((sum, l) => sum + Number((l.obj as { messages?: number }).messages ?? 0), 0);
      return { ids: rows.map((r) => r.id), asked };
    };

    // After the first trade: the next `limit`, oldest first; the engine asked for those (and the one that tells the topic has trades).
    expect(await twin(`after: "${cursor}", limit: 5`)).toEqual({ ids: names(range(2, 6)), asked: 5 + 1 });
    expect(await twin(`after: "${cursor}"`)).toEqual({ ids: names(range(2, 51)), asked: 50 + 1 });
    // The newest `limit`, newest first.
    expect(await twin('limit: 5')).toEqual({ ids: names(range(STORED - 4, STORED).reverse()), asked: 5 + 1 });
    // Only buys (every other trade): a page at a time until five of them.
    const buys = await twin(`after: "${cursor}", limit: 5, side: BUY`);
    expect(buys.ids).toEqual(names([2, 4, 6, 8, 10]));
    expect(buys.asked).toBeLessThanOrEqual(3 * 5 + 1);
  });
});
