/**
 * A trades feed that falls behind the stream's retention is told, never
 * silently skipped (`feed-continuity.ts`), against a real NATS 2.9 with a tiny
 * per-topic limit: a feed blocked while more than the limit is published finds
 * the discarded messages missing and says so once, at the right sequences; a
 * feed that keeps up through the same traffic, or whose sequences jump over
 * other topics' messages, never does. A check the engine cannot answer says
 * "may be missing" with its error.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createContinuity, type Behind } from '../../src/sources/cluster/feed-continuity.ts';
import { openFeed, type FeedMessage } from '../../src/sources/cluster/feed.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { natsUrl, useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The stream keeps this many messages per topic. */
const LIMIT = 5;
/** More than the feed's outstanding pull (100 messages reach its socket while it is blocked) plus the limit. */
const BURST = 250;
const TRADES: ClusterTopic = { id: 'futures:futuresTrades:{"symbol":"BTCUSD"}', kind: 'event', market: 'futures' };
const OTHER: ClusterTopic = { id: 'futures:futuresTrades:{"symbol":"ETHUSD"}', kind: 'event', market: 'futures' };
const idOf = (item: unknown) => (item as { id: string }).id;
const trade = (n: number) => ({ id: `t${n}`, timestamp: 1_000 + n });

/**
 * Publishes trades `from`..`from + count - 1` on `subject` from another process and returns once the engine stored
 * them all. Synchronous on purpose: this process (and the feed in it) is blocked meanwhile, as a stalled replica is.
 */
function publishWhileBlocked(subject: string, from: number, count: number): void {
  const script = `
    import { connect } from '@nats-io/transport-node';
    import { jetstream } from '@nats-io/jetstream';
    const [url, subject, from, count] = process.argv.slice(1);
    const nc = await connect({ servers: url });
    const js = jetstream(nc);
    for (let n = Number(from); n < Number(from) + Number(count); n++)
      await js.publish(subject, JSON.stringify({ items: [{ id: 't' + n, timestamp: 1000 + n }], ts: 1000 + n }));
    await nc.close();`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script, natsUrl(), subject, String(from), String(count)], {
    cwd: ROOT,
    timeout: 60_000,
  });
}

interface Watched {
  readonly got: FeedMessage[];
  readonly behind: Array<Pick<Behind, 'gap' | 'at'>>;
}

async function watchFeed(engine: Awaited<ReturnType<typeof testEngine>>, onFirst: () => void = () => undefined): Promise<Watched> {
  const watched: Watched = { got: [], behind: [] };
  const feed = await openFeed({
    js: engine.js,
    jsm: engine.jsm,
    names: engine.names,
    topic: TRADES,
    onMessage: (m) => {
      watched.got.push(m);
      if (watched.got.length === 1) onFirst();
    },
    onBehind: (gap, at) => watched.behind.push({ gap, at }),
    onCheckError: (error) => {
      throw error;
    },
  });
  onDispose(() => feed.stop());
  return watched;
}

const ids = (got: readonly FeedMessage[]) => got.map((m) => idOf(m.envelope?.items[0]));
/** Where the delivered sequences jump (a single subject's sequences are consecutive unless messages were discarded). */
const jumps = (got: readonly FeedMessage[]) =>
  got.flatMap((m, i) => (i > 0 && m.seq !== (got[i - 1]?.seq ?? 0) + 1 ? [{ after: got[i - 1]?.seq, next: m.seq }] : []));

describe('a trades feed behind the stream', () => {
  it('blocked while more than the limit is published: says once where messages were discarded', async () => {
    const engine = await testEngine(engineSettings({ maxEventsPerTopic: LIMIT }));
    const subject = engine.names.subject(TRADES);
    const watched = await watchFeed(engine, () => publishWhileBlocked(subject, 1, BURST));
    await createPublisher({ js: engine.js, names: engine.names }).publishEvents(TRADES, [trade(0)], idOf, 1_000);
    await waitFor(() => ids(watched.got).includes(`t${BURST}`), 'the last trade of the burst', 30_000);

    const skipped = jumps(watched.got);
    expect(skipped).toHaveLength(1);
    expect(watched.behind.map((b) => b.at)).toEqual(skipped);
    // Every trade between was published and discarded: each one's time is inside the gap said.
    const [{ gap }] = watched.behind as [Pick<Behind, 'gap'>];
    const delivered = new Set(ids(watched.got));
    const lost = Array.from({ length: BURST }, (_, i) => trade(i + 1)).filter((t) => !delivered.has(t.id));
    expect(lost.length).toBeGreaterThan(0);
    for (const t of lost) expect(t.timestamp >= gap.since && t.timestamp <= gap.until, `${t.id} in the gap`).toBe(true);
  });

  it('keeping up through the same traffic: every trade, nothing said', async () => {
    const engine = await testEngine(engineSettings({ maxEventsPerTopic: LIMIT }));
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    const watched = await watchFeed(engine);
    for (let n = 0; n <= BURST; n += LIMIT - 1) {
      const batch = Array.from({ length: LIMIT - 1 }, (_, i) => trade(n + i));
      await publisher.publishEvents(TRADES, batch, idOf, 1_000 + n);
      await waitFor(() => ids(watched.got).includes(`t${n + LIMIT - 2}`), `trade ${n + LIMIT - 2}`);
    }
    expect(jumps(watched.got)).toEqual([]);
    expect(watched.behind).toEqual([]);
  });

  it("jumping over other topics' messages is no loss: nothing said", async () => {
    const engine = await testEngine(engineSettings({ maxEventsPerTopic: LIMIT }));
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    const watched = await watchFeed(engine);
    for (let n = 0; n < BURST; n += 2) {
      await publisher.publishEvents(
        OTHER,
        Array.from({ length: 3 * LIMIT }, (_, i) => ({ id: `o${n}.${i}` })),
        idOf,
        1_000 + n,
      );
      await publisher.publishEvents(TRADES, [trade(n), trade(n + 1)], idOf, 1_000 + n);
      await waitFor(() => ids(watched.got).includes(`t${n + 1}`), `trade ${n + 1}`);
    }
    expect(watched.got).toHaveLength(BURST);
    expect(jumps(watched.got).length).toBeGreaterThan(0);
    expect(watched.behind).toEqual([]);
  });
});

describe('a continuity check the engine cannot answer', () => {
  it('says "may be missing" with the error, and the feed goes on', async () => {
    const failure = new Error('engine unreachable');
    const continuity = createContinuity({
      limits: { maxAgeMs: 60_000, maxPerSubject: LIMIT },
      after: { seq: 10, time: 1_010 },
      startSeq: 11,
      now: Date.now,
      kept: () => Promise.reject(failure),
    });
    const verdict = await continuity.judge({ seq: 20, storedAt: Date.now(), pending: LIMIT - 1, time: 1_020 });
    expect(verdict).toEqual({ gap: { since: 1_010, until: 1_020 }, at: { after: 10, next: 20 }, error: failure });
    expect(await continuity.judge({ seq: 21, storedAt: Date.now(), pending: 0, time: 1_021 })).toBeUndefined();
  });
});
