/**
 * The engine's streams and lease bucket deleted under a connected replica (by
 * hand, a lost store): each is created again within a round of the upkeep,
 * with the replica's configuration, said once, and the trades stream's epoch
 * is read anew. Without it, the topics of a deleted stream or bucket stopped
 * on every replica until one restarted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startUpkeep } from '../../src/sources/cluster/engine-upkeep.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
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

describe('an upkeep round whose re-creation fails', () => {
  it('says it at each round with the failing rounds in a row, goes on with the others, and never throws', async () => {
    const gone = new Set(['a', 'b']);
    let refuse = true;
    const failed: Array<[string, number]> = [];
    const repaired: string[][] = [];
    const upkeep = startUpkeep({
      jsm: { streams: { info: (name: string) => (gone.has(name) ? Promise.reject(new Error('stream not found')) : Promise.resolve({})) } },
      keep: [
        {
          stream: 'a',
          ensure: () => (refuse ? Promise.reject(new Error('permissions violation')) : Promise.resolve(void gone.delete('a'))),
        },
        { stream: 'b', ensure: () => Promise.resolve(void gone.delete('b')) },
      ],
      onRepaired: (streams) => void repaired.push([...streams]),
      onRepairFailed: (stream, _error, rounds) => void failed.push([stream, rounds]),
      everyMs: 60_000,
    });
    onDispose(() => upkeep.stop());
    expect(await upkeep.round()).toEqual(['b']);
    expect(await upkeep.round()).toEqual([]);
    expect({ failed, repaired }).toEqual({
      failed: [
        ['a', 1],
        ['a', 2],
      ],
      repaired: [['b']],
    });
    // Created again at last: the streak ends, and a new one starts from 1.
    refuse = false;
    expect(await upkeep.round()).toEqual(['a']);
    refuse = true;
    gone.add('a');
    await upkeep.round();
    expect(failed.at(-1)).toEqual(['a', 1]);
  });
});
