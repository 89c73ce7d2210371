/**
 * A CLUSTER_NODE_ID shared by two live processes is told: each replica's
 * `node.<node>` value carries its instance token, and a replica that finds its
 * key written with another token logs an error, once per other process. A
 * replica restarted under its old id (its predecessor's value still in the
 * bucket) is no duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { createPresence, DUPLICATE_NODE_MESSAGE } from '../../src/sources/cluster/presence.ts';
import { engineSettings, testEngine, uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, waitFor, type CapturedLog } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

/** Lease TTL 3 s (in-process replicas): presence rounds each second. */
const ROUNDS_MS = 10_000;

const field = (value: object | undefined, key: string): unknown =>
  value === undefined ? undefined : Object.entries(value).find(([k]) => k === key)?.[1];

/** Counts the writes of `key` in cluster `name`'s bucket from now on (a connection of the test's own). */
async function countWrites(name: string, key: string): Promise<{ readonly count: number }> {
  const nc = await connect({ servers: natsUrl() });
  onDispose(() => nc.close());
  const watch = await (await new Kvm(nc).open(clusterNames(name).bucket)).watch({ key });
  onDispose(() => watch.stop());
  const writes = { count: 0 };
  void (async () => {
    for await (const entry of watch) if (entry.operation === 'PUT') writes.count++;
  })();
  return writes;
}

describe('a duplicate CLUSTER_NODE_ID', () => {
  it('is logged as an error by both processes, once each, while both keep running', async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const first = captureLogs();
    const second = captureLogs();
    await startInProcessReplica(exchange, name, 'same', { logger: first.logger });
    await startInProcessReplica(exchange, name, 'same', { logger: second.logger });
    const writes = await countWrites(name, clusterNames(name).presenceKey('same'));
    const duplicates = (log: CapturedLog) => log.lines.filter((line) => line.msg === DUPLICATE_NODE_MESSAGE);
    await waitFor(() => duplicates(first).length > 0 && duplicates(second).length > 0, 'both replicas telling the duplicate', ROUNDS_MS);
    const [seenByFirst] = duplicates(first);
    const [seenBySecond] = duplicates(second);
    expect(seenByFirst?.level).toBe('error');
    expect(seenByFirst?.obj).toMatchObject({ node: 'same', instance: expect.any(String), other: expect.any(String) });
    // Each names the other's token as its own.
    expect(seenBySecond?.obj).toMatchObject({
      node: 'same',
      instance: field(seenByFirst?.obj, 'other'),
      other: field(seenByFirst?.obj, 'instance'),
    });
    // Two more rounds of each: no more lines.
    const seen = writes.count;
    await waitFor(() => writes.count >= seen + 4, 'two more rounds of both', ROUNDS_MS);
    expect(duplicates(first)).toHaveLength(1);
    expect(duplicates(second)).toHaveLength(1);
  });

  it('is not a restart under the same id: a dead predecessor\u2019s value in the bucket is overwritten silently', async () => {
    const settings = engineSettings({ name: uniqueClusterName(), leaseTtlMs: 600 });
    const engine = await testEngine(settings);
    const key = settings.names.presenceKey('back');
    await engine.kv.put(key, JSON.stringify({ node: 'back', instance: 'the-process-that-died' }));
    const log = captureLogs();
    const presence = createPresence({ kv: engine.kv, names: settings.names, node: 'back', ttlMs: 600, logger: log.logger, instance: 'me' });
    onDispose(() => presence.stop());
    const mine: number[] = [];
    const watch = await engine.kv.watch({ key });
    onDispose(() => watch.stop());
    void (async () => {
      for await (const entry of watch)
        if (entry.operation === 'PUT' && entry.string().includes('"instance":"me"')) mine.push(entry.revision);
    })();
    await presence.start();
    // Its first write, then three rounds that each read the key before writing it.
    await waitFor(() => mine.length >= 4, 'four writes of its own', ROUNDS_MS);
    expect(log.lines.filter((line) => line.msg === DUPLICATE_NODE_MESSAGE)).toEqual([]);
  });
});
