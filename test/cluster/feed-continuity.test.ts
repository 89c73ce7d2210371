/**
 * A trades feed that falls behind the stream's retention is told, never
 * silently skipped (`feed-continuity.ts`), against a real NATS 2.9 with a tiny
 * per-topic limit: a feed blocked while more than the limit is published finds
 * the discarded messages missing and says so once, at the right sequences; a
 * feed that keeps up through the same traffic, or whose sequences jump over
 * other topics' messages, never does. The age's part on a clock of the test:
 * a quiet live feed is not checked, a stalled or far-behind one is; a check
 * the engine cannot answer says "may be missing" with its error. A feed
 * resuming after a cursor past the end of a stream created again starts at
 * the new stream's first trade and says first that trades may be missing.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createContinuity, type Behind } from '../../src/sources/cluster/feed-continuity.ts';
import { openFeed, type FeedMessage } from '../../src/sources/cluster/feed.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { openEngine } from '../../src/sources/cluster/engine.ts';
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

  it('resuming after a cursor past the end of a stream created again: says trades may be missing, then gives the new stream’s trades', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    for (let n = 1; n <= 5; n++) await publisher.publishEvents(TRADES, [trade(n)], idOf, 1_000 + n);
    const cursor = (await engine.jsm.streams.info(engine.names.eventStream)).state.last_seq;
    // Another replica finds the stream gone and creates it again: its first trade is sequence 1.
    await engine.jsm.streams.delete(engine.names.eventStream);
    const other = await openEngine({ ...engineSettings(), names: engine.names });
    onDispose(() => other.close());
    await publisher.publishEvents(TRADES, [trade(100)], idOf, 1_100);

    const said: string[] = [];
    const behind: Array<Pick<Behind, 'gap' | 'at'>> = [];
    const feed = await openFeed({
      js: engine.js,
      jsm: engine.jsm,
      names: engine.names,
      topic: TRADES,
      after: cursor,
      afterTime: trade(5).timestamp,
      onMessage: (m) => said.push(`${m.seq}:${idOf(m.envelope?.items[0])}`),
      onBehind: (gap, at) => {
        behind.push({ gap, at });
        said.push('behind');
      },
    });
    onDispose(() => feed.stop());
    await waitFor(() => said.includes('1:t100'), 'the new stream’s first trade');
    expect(said).toEqual(['behind', '1:t100']);
    expect(behind).toEqual([{ gap: { since: trade(5).timestamp, until: expect.any(Number) }, at: { after: cursor, next: 1 } }]);
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

describe('the rule on its own, on a clock of the test', () => {
  const MAX_AGE_MS = 60_000;
  /** A judge after the cursor 10 (time 1_010) whose checks are recorded and answered by `kept`. */
  function judgeWith(kept: (seq: number) => Promise<boolean>) {
    const clock = { now: 0 };
    const checked: number[] = [];
    const continuity = createContinuity({
      limits: { maxAgeMs: MAX_AGE_MS, maxPerSubject: 1_000 },
      after: { seq: 10, time: 1_010 },
      startSeq: 11,
      now: () => clock.now,
      kept: (seq) => {
        checked.push(seq);
        return kept(seq);
      },
    });
    const message = (seq: number, pending = 0, storedAt = clock.now) => ({ seq, storedAt, pending, time: 1_000 + seq });
    return { clock, checked, continuity, message };
  }

  it('a live feed of a quiet topic (heartbeats all along) jumps unchecked', async () => {
    const { clock, checked, continuity, message } = judgeWith(() => Promise.resolve(false));
    expect(await continuity.judge(message(11))).toBeUndefined();
    for (; clock.now < 2 * MAX_AGE_MS; clock.now += 1_500) continuity.heard();
    expect(await continuity.judge(message(500))).toBeUndefined();
    expect(checked).toEqual([]);
  });

  it('a feed stalled for half the max age checks the jumps after, behind what reached it before the stall', async () => {
    const { clock, checked, continuity, message } = judgeWith((seq) => Promise.resolve(seq !== 30));
    expect(await continuity.judge(message(11))).toBeUndefined();
    clock.now += MAX_AGE_MS / 2;
    // Sent before the stall, read after it: consecutive, nothing to check; then a jump over other topics, 12 still kept.
    expect(await continuity.judge(message(12, 0, 0))).toBeUndefined();
    expect(await continuity.judge(message(30, 0, 0))).toBeUndefined();
    // The first message of a pull after the stall: 30 was discarded meanwhile.
    expect(await continuity.judge(message(90))).toEqual({ gap: { since: 1_030, until: 1_090 }, at: { after: 30, next: 90 } });
    expect(checked).toEqual([12, 30]);
  });

  it('a feed behind by half the max age checks its jumps', async () => {
    const { clock, checked, continuity, message } = judgeWith(() => Promise.resolve(true));
    clock.now = MAX_AGE_MS;
    expect(await continuity.judge(message(11, 5, MAX_AGE_MS / 4))).toBeUndefined();
    expect(await continuity.judge(message(13, 4, MAX_AGE_MS / 4))).toBeUndefined();
    expect(checked).toEqual([11]);
  });

  it('a check the engine cannot answer says "may be missing" with the error, and the feed goes on', async () => {
    const failure = new Error('engine unreachable');
    const { continuity, message } = judgeWith(() => Promise.reject(failure));
    expect(await continuity.judge(message(20, 1_000 - 1))).toEqual({
      gap: { since: 1_010, until: 1_020 },
      at: { after: 10, next: 20 },
      error: failure,
    });
    expect(await continuity.judge(message(21))).toBeUndefined();
  });
});
