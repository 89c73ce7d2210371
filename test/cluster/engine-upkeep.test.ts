/**
 * The engine's streams and lease bucket deleted under a connected replica (by
 * hand, a lost store): each is created again within a round of the upkeep,
 * with the replica's configuration, said once, and the trades stream's epoch
 * is read anew. Without it, the topics of a deleted stream or bucket stopped
 * on every replica until one restarted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

describe('the engine upkeep', () => {
  it('creates a deleted stream or bucket again, says so, and reads the new epoch', async () => {
    const repaired: string[][] = [];
    const engine = await testEngine(engineSettings({ upkeepMs: 50, onRepaired: (streams) => void repaired.push([...streams]) }));
    const { eventStream, stateStream, bucket } = engine.names;
    const before = engine.eventEpoch;
    const config = (await engine.jsm.streams.info(eventStream)).config;

    await engine.jsm.streams.delete(eventStream);
    await engine.jsm.streams.delete(`KV_${bucket}`);
    await waitFor(() => repaired.length > 0, 'the upkeep creating them again', 5_000);
    expect(repaired[0]).toEqual([eventStream, `KV_${bucket}`]);
    const again = (await engine.jsm.streams.info(eventStream)).config;
    expect({ maxAge: again.max_age, perSubject: again.max_msgs_per_subject, subjects: again.subjects }).toEqual({
      maxAge: config.max_age,
      perSubject: config.max_msgs_per_subject,
      subjects: config.subjects,
    });
    await waitFor(() => engine.eventEpoch !== before, 'the new epoch read', 5_000);
    expect(await engine.kv.create('lease.probe', 'x')).toBeGreaterThan(0);

    await engine.jsm.streams.delete(stateStream);
    await waitFor(() => repaired.length > 1, 'the state stream created again', 5_000);
    expect(repaired[1]).toEqual([stateStream]);
    expect((await engine.jsm.streams.info(stateStream)).config.max_msgs_per_subject).toBe(1);
  });
});
