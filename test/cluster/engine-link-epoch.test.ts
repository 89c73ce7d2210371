/**
 * The engine link reads the trades stream's epoch again on each reconnect
 * (`engine-link.ts`): the engine object outlives the connection, the stream
 * may not. On a NATS server of the test's own, restarted: a stream deleted and
 * created again (by another replica) while the link was up is seen with its
 * new epoch once the link is back, before it says so, and the operator reads
 * a warn line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { linkEngine } from '../../src/sources/cluster/engine-link.ts';
import { openEngine } from '../../src/sources/cluster/engine.ts';
import { captureLogs, disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startNatsServer } from '../helpers/nats-server.ts';

afterEach(disposeAll);

describe('the engine link across a reconnect', () => {
  it('reads the trades stream’s epoch again: a stream created again meanwhile names its new epoch', async () => {
    const nats = await startNatsServer();
    const settings = {
      servers: nats.url,
      names: clusterNames(uniqueClusterName()),
      retentionMs: 60_000,
      maxEventsPerTopic: 100,
      leaseTtlMs: 1_500,
      node: 'test',
    };
    const logs = captureLogs();
    const changes: boolean[] = [];
    const epochs: string[] = [];
    const link = linkEngine({
      settings,
      logger: logs.logger,
      onChange: (up) => {
        changes.push(up);
        // What the replica sees of the epoch when the link says it is up.
        if (up) epochs.push(link.engine?.eventEpoch ?? '');
      },
    });
    onDispose(() => link.close());
    await waitFor(() => changes.length === 1, 'the engine opened');
    const before = link.engine?.eventEpoch ?? '';

    // Another replica finds the trades stream gone and creates it again.
    const other = await openEngine(settings);
    await other.jsm.streams.delete(settings.names.eventStream);
    await other.close();
    const again = await openEngine(settings);
    const recreated = again.eventEpoch;
    await again.close();
    expect(recreated).not.toBe(before);

    await nats.kill();
    await waitFor(() => changes.length === 2, 'the link down');
    await nats.start();
    await waitFor(() => changes.length === 3, 'the link back up', 20_000);

    expect(changes).toEqual([true, false, true]);
    expect(epochs).toEqual([before, recreated]);
    expect(link.engine?.eventEpoch).toBe(recreated);
    expect(logs.text()).toContain('cluster trades stream was created again');
  });
});
