/**
 * The cursor a trades reader keeps across the engine's loss (`reader.ts`): the
 * feed's own (its last sequence, bad messages included, with the creation time
 * of their stream). The trades stream is deleted and created again under the
 * reader, and the new stream's first messages are bad (dropped at the
 * boundary): the feed moves on to the new stream, the reader hands nothing
 * on. The engine goes away; good trades are stored meanwhile; it comes back.
 * The reader kept the old stream's last sequence with the new stream's
 * creation time: its feed started after that old sequence in the new stream,
 * skipping the trades stored below it. Now every one arrives. A real
 * nats-server (the test file's own), the reader with a stand-in hub and tap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { futuresTrades } from '../../src/channels/futures/trades.ts';
import type { TopicHandle } from '../../src/hub/listener.ts';
import type { HubPort, SourceTopic } from '../../src/hub/source-port.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { clusterTopicOf } from '../../src/sources/cluster/cluster-topic.ts';
import { openEngine } from '../../src/sources/cluster/engine.ts';
import type { BadMessage } from '../../src/sources/cluster/message-check.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import { startReader } from '../../src/sources/cluster/reader.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const BTC = { symbol: 'BTCUSD' };
const at = (n: number) => 1_700_000_000_000 + n;
/** A trade as the engine stores them (a valid record of its shape). */
const trade = (id: string, n: number) => ({ id, symbol: 'BTCUSD', price: String(n), volume: '1', side: 'BUY', timestamp: at(n) });
const idOf = (item: unknown) => (item as { id: string }).id;
/** How long the feed may take to notice its stream created again (the library recreates its consumer within seconds). */
const NOTICE_MS = 15_000;

describe('a trades reader whose stream was created again with only bad messages before the engine went away', () => {
  it('reopens after the last message its feed read in the new stream: no trade skipped', { timeout: 60_000 }, async () => {
    const settings = engineSettings({ maxEventsPerTopic: 1_000 });
    const engine = await testEngine(settings);
    const cluster = clusterTopicOf(futuresTrades, 'BTCUSD');
    const topic: SourceTopic = { channel: futuresTrades, key: 'BTCUSD', payload: BTC, subscribers: 1, lastEventAt: undefined, activeAt: 0 };
    const got: string[] = [];
    let answered = false;
    const bad: BadMessage[] = [];
    const hub: HubPort = {
      answered: () => void (answered = true),
      publish: (_topic, items) => void got.push(...items.map(idOf)),
      failed: () => undefined,
      interrupted: () => undefined,
      gap: () => undefined,
      find: () => undefined,
      topics: () => new Set<SourceTopic>().values(),
    };
    // The own upstream says nothing: what the clients get comes from the engine.
    const tap = (): TopicHandle => ({
      last: undefined,
      confirmed: new Promise(() => undefined),
      snapshot: undefined,
      release: () => undefined,
    });
    const reader = startReader({
      hub,
      topic,
      cluster,
      args: BTC,
      tap,
      runningUpstream: () => false,
      now: Date.now,
      logger: silentLogger,
      reportBad: (b) => void bad.push(b),
      feed: { expiresMs: 1_000 },
    });
    onDispose(() => reader.stop());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    /** Stores trades one at a time (in order: one message each). */
    const store = async (ids: string[]) => {
      for (const [n, id] of ids.entries()) await publisher.publishEvents(cluster, [trade(id, n)], idOf, at(n));
    };
    reader.follow(engine);
    // The feed starts live (the stream's next sequence), answered once open; the old stream's last sequence is 5.
    await waitFor(() => answered, 'the feed open');
    await store(['o1', 'o2', 'o3', 'o4', 'o5']);
    await waitFor(() => got.includes('o5'), 'the old trades');

    await engine.jsm.streams.delete(settings.names.eventStream);
    await (await openEngine(settings)).close();
    const subject = settings.names.subject(cluster);
    await engine.js.publish(subject, 'not json');
    await engine.js.publish(subject, 'not json either');
    await waitFor(() => bad.length === 2, 'the new stream’s two bad messages read', NOTICE_MS);

    reader.follow(undefined);
    await store(['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10']);
    reader.follow(engine);
    await waitFor(() => got.includes('n10'), 'the new trades after the engine came back', NOTICE_MS);
    expect(got.filter((id) => id.startsWith('n'))).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10']);
  });
});
