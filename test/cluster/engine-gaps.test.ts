/**
 * A reader's time alone (the engine was away; it did not run the topic
 * upstream) judged once the holders had their chance to catch up
 * (`engine-gaps.ts`), against a real NATS 2.9 and the wait's timer in the
 * test's hand: a holder's catch-up that stored the trades of that time ends
 * the wait (covered, nothing marked), as does a marker over it (said); an
 * older trade stored late does not cover it; a new holder that only
 * publishes live leaves the time unfilled, so the ENGINE
 * marker goes in once the wait is over and a replay across it says so; each
 * time alone is judged on its own (the up-time between two is not one); the
 * engine gone while a gap waits, or while it is judged (even when back before
 * the read failed), holds it until after the next return; the replica's stop
 * waits (within its bound) for a judgement under way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { futuresTrades } from '../../src/channels/futures/trades.ts';
import type { Engine } from '../../src/sources/cluster/engine.ts';
import { createEngineGaps, ENGINE_GAP_JUDGE_TRIES, type EngineGaps } from '../../src/sources/cluster/engine-gaps.ts';
import type { GapResult } from '../../src/sources/cluster/gap-counts.ts';
import type { StreamBody } from '../../src/sources/cluster/gap-marker.ts';
import { reportGap } from '../../src/sources/cluster/gap-report.ts';
import { createPublisher, type Publisher } from '../../src/sources/cluster/publisher.ts';
import { readSubject } from '../../src/sources/cluster/stream-read.ts';
import { createStreamWindow } from '../../src/sources/cluster/stream-window.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const TOPIC: ClusterTopic = { id: 'futures:futuresTrades:BTCUSD', kind: 'event', market: 'futures' };
const idOf = (item: unknown) => (item as { id: string }).id;

/** The reader's time alone: half a minute that ended half a minute ago (the engine stored everything here after it). */
const until = Date.now() - 30_000;
const since = until - 30_000;
/** Trade `n` at `at` (epoch ms), as a holder publishes it. */
/** A trade as the engine stores them (a valid record of its shape: the window reads through the boundary's check). */
const trade = (n: number, at: number) => ({ id: `t${n}`, symbol: 'BTCUSD', price: String(n), volume: '1', side: 'BUY', timestamp: at });
const before = trade(1, since - 10_000);
const inGap = (n: number) => trade(n, since + n * 1_000);
const live = (n: number) => trade(n, Date.now() + n);

/** What the topic's subject holds, in stream order: trade ids, and `gap:REASON` for a marker. */
async function stored(engine: Engine): Promise<string[]> {
  const records = await readSubject(engine, engine.names.subject(TOPIC));
  return records.map((r) => (r.gap === undefined ? r.envelope.items.map(idOf).join(',') : `gap:${r.gap.reason}`));
}

/** Ends the wait before a judgement, then waits for it. */
async function judgedAfter(endWait: () => void, judged: readonly unknown[]): Promise<void> {
  endWait();
  await waitFor(() => judged.length > 0, 'the gap judged', 10_000);
}

/** The reader ('reader') and a holder ('holder') on one engine, the reader's wait timer fired by `endWait()`. */
async function setUp() {
  const engine = await testEngine(engineSettings());
  const holder = createPublisher({ js: engine.js, names: engine.names, node: 'holder' });
  const reader = createPublisher({ js: engine.js, names: engine.names, node: 'reader' });
  const armed = new Set<() => void>();
  const judged: Array<{ result: GapResult; early: boolean; since: number; until: number }> = [];
  /** Gaps whose judgement the engine going away cut short (they wait again). */
  const waitingAgain: Array<{ since: number; until: number }> = [];
  /** What happens as the next judgement's read fails (before it rejects), when set. */
  let failNext: (() => void) | undefined;
  /** The next judgement's read waits for this before it reads, when set. */
  let holdNext: Promise<void> | undefined;
  const gaps: EngineGaps = createEngineGaps({
    waitMs: 10_000,
    timer: (fire) => {
      armed.add(fire);
      return { clear: () => void armed.delete(fire) };
    },
    report: async (topic, gap) => {
      const held = holdNext;
      holdNext = undefined;
      if (held !== undefined) await held;
      const failing = failNext;
      failNext = undefined;
      if (failing !== undefined) {
        failing();
        throw new Error('the read failed');
      }
      return reportGap({ engine, publisher: reader, topic, node: 'reader', gap, cutOff: true });
    },
    onJudged: (_topic, gap, result, { early }) => void judged.push({ result, early, since: gap.since, until: gap.until }),
    onWaitAgain: (_topic, gap) => void waitingAgain.push({ since: gap.since, until: gap.until }),
  });
  await holder.publishEvents(TOPIC, [before], idOf, before.timestamp);
  return {
    engine,
    holder,
    gaps,
    judged,
    waitingAgain,
    /** How many waits are armed now. */
    waits: () => armed.size,
    /** The next judgement's read fails, `then` happening first (the engine going away: `gaps.pause()`). */
    failNextRead: (then: () => void = () => undefined) => void (failNext = then),
    /** The next judgement's read is under way until the function returned is called. */
    holdNextRead: (): (() => void) => {
      let release = () => undefined as void;
      holdNext = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    /** The wait is over (the holders' chance passed). */
    endWait: () => {
      const fired = [...armed];
      armed.clear();
      for (const fire of fired) fire();
    },
  };
}

/** Publishes `items` from `holder` one message each, as a catch-up does (each with its own time as the frame's). */
async function publishEach(holder: Publisher, items: ReadonlyArray<ReturnType<typeof trade>>): Promise<void> {
  for (const item of items) await holder.publishEvents(TOPIC, [item], idOf, item.timestamp);
}

const message = (items: ReadonlyArray<ReturnType<typeof trade>>): StreamBody => ({ envelope: { items, ts: items[0]?.timestamp ?? 0 } });

describe("a reader's time alone, judged once the holders had their chance", () => {
  it("ends the wait at the holder's catch-up of that time, as its feed brings it: covered, nothing marked", async () => {
    const { engine, holder, gaps, judged, waits } = await setUp();
    gaps.defer(TOPIC, since, until);
    expect(waits()).toBe(1);
    // A live trade of a holder first: it says nothing of the time alone.
    gaps.heard(TOPIC.id, message([live(9)]));
    expect(judged).toEqual([]);
    await publishEach(holder, [inGap(2), inGap(3)]);
    gaps.heard(TOPIC.id, message([inGap(2)]));
    expect(judged).toEqual([{ result: 'covered', early: true, since, until }]);
    expect(waits()).toBe(0);
    expect(await stored(engine)).toEqual(['t1', 't2', 't3']);
  });

  it('finds at the end of the wait the trades of that time a catch-up stored before the reader came back: covered', async () => {
    const { engine, holder, gaps, judged, endWait } = await setUp();
    await publishEach(holder, [inGap(2), inGap(3), live(4)]);
    gaps.defer(TOPIC, since, until);
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'covered', early: false, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 't2', 't3', 't4']);
  });

  it('counts the own holder\u2019s catch-up (it stored nothing while cut off): covered', async () => {
    const { engine, gaps, judged, endWait } = await setUp();
    const own = createPublisher({ js: engine.js, names: engine.names, node: 'reader' });
    await publishEach(own, [inGap(2)]);
    gaps.defer(TOPIC, since, until);
    await judgedAfter(endWait, judged);
    expect(judged.map((j) => j.result)).toEqual(['covered']);
  });

  it('does not count an older trade stored late (a catch-up after the engine came back, before the reader did): marked', async () => {
    const { engine, gaps, judged, endWait } = await setUp();
    // Still going on: the trade from before it (set up just now) was stored within it.
    const now = Date.now();
    gaps.defer(TOPIC, now - 10_000, now + 60_000);
    await judgedAfter(endWait, judged);
    expect(judged.map((j) => j.result)).toEqual(['published']);
    expect(await stored(engine)).toEqual(['t1', 'gap:ENGINE']);
  });

  it('ends the wait at a marker over that time (a holder whose memory did not reach back): said', async () => {
    const { engine, holder, gaps, judged } = await setUp();
    gaps.defer(TOPIC, since, until);
    const marker = { since: before.timestamp + 1, until: since + 5_000, reason: 'UPSTREAM' } as const;
    await holder.publishGap(TOPIC, marker, 'gap:holder');
    gaps.heard(TOPIC.id, { gap: marker });
    expect(judged).toEqual([{ result: 'said', early: true, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 'gap:UPSTREAM']);
  });

  it('marks the time when a new holder only publishes live: a replay across it says ENGINE', async () => {
    const { engine, holder, gaps, judged, endWait } = await setUp();
    gaps.defer(TOPIC, since, until);
    for (const n of [2, 3]) {
      await publishEach(holder, [live(n)]);
      gaps.heard(TOPIC.id, message([live(n)]));
    }
    expect(judged).toEqual([]);
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'published', early: false, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 't2', 't3', 'gap:ENGINE']);

    const window = createStreamWindow({ engine: () => engine });
    const first = (await readSubject(engine, engine.names.subject(TOPIC)))[0]?.seq ?? 0;
    const replay = await window.after({ channel: futuresTrades.id, key: 'BTCUSD' }, engine.eventEpoch, first);
    expect(replay.status).toBe('kept');
    expect(replay.entries.map((e) => (e.kind === 'gap' ? { gap: e.reason, since: e.since, until: e.until } : idOf(e.trade)))).toEqual([
      't2',
      't3',
      { gap: 'ENGINE', since, until },
    ]);
  });

  it('judges each time alone on its own: trades a holder stored live between two of them cover neither', async () => {
    const { engine, holder, gaps, judged, waits, endWait } = await setUp();
    gaps.defer(TOPIC, since, until);
    gaps.pause();
    expect(waits()).toBe(0);
    gaps.resume();
    expect(waits()).toBe(1);
    // The engine was back: a holder stored a live trade, then the engine went away again.
    const between = trade(2, until + 2_000);
    await publishEach(holder, [between]);
    gaps.heard(TOPIC.id, message([between]));
    gaps.pause();
    gaps.defer(TOPIC, until + 5_000, until + 8_000);
    gaps.resume();
    expect(waits()).toBe(2);
    endWait();
    await waitFor(() => judged.length === 2, 'both gaps judged', 10_000);
    expect([...judged].sort((a, b) => a.since - b.since)).toEqual([
      { result: 'published', early: false, since, until },
      { result: 'published', early: false, since: until + 5_000, until: until + 8_000 },
    ]);
    expect(await stored(engine)).toEqual(['t1', 't2', 'gap:ENGINE', 'gap:ENGINE']);
  });

  it('merges two times alone of a topic only where they overlap', async () => {
    const { gaps, judged, waits, endWait } = await setUp();
    gaps.defer(TOPIC, since, since + 10_000);
    gaps.defer(TOPIC, since + 5_000, until);
    expect(waits()).toBe(1);
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'published', early: false, since, until }]);
  });

  it('holds a gap whose judgement the engine going away cut short, then judges it after the return', async () => {
    const { engine, gaps, judged, waits, endWait, failNextRead } = await setUp();
    gaps.defer(TOPIC, since, until);
    failNextRead(() => gaps.pause());
    endWait();
    // The read fails at once: its rejection is handled before the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(judged).toEqual([]);
    expect(waits()).toBe(0);
    gaps.resume();
    expect(waits()).toBe(1);
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'published', early: false, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 'gap:ENGINE']);
  });

  it('holds a gap whose judgement a quick engine flap cut short (back before the read failed), then judges it after', async () => {
    const { engine, gaps, judged, waitingAgain, waits, endWait, failNextRead } = await setUp();
    gaps.defer(TOPIC, since, until);
    // The engine goes away and comes back while the read is under way; the read then fails (a request that timed out).
    failNextRead(() => {
      gaps.pause();
      gaps.resume();
    });
    endWait();
    await waitFor(() => waitingAgain.length + judged.length > 0, 'the read failed', 10_000);
    expect(judged).toEqual([]);
    expect(waitingAgain).toEqual([{ since, until }]);
    expect(waits()).toBe(1);
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'published', early: false, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 'gap:ENGINE']);
  });

  it('tries a gap it could not judge while the engine is up again, after another wait, and marks it when a read succeeds', async () => {
    const { engine, gaps, judged, waitingAgain, waits, endWait, failNextRead } = await setUp();
    gaps.defer(TOPIC, since, until);
    failNextRead();
    endWait();
    await waitFor(() => waitingAgain.length > 0, 'the gap waiting again', 10_000);
    expect(judged).toEqual([]);
    expect(waits()).toBe(1);
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'published', early: false, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 'gap:ENGINE']);
  });

  it('counts a gap whose every try failed while the engine was up as failed', async () => {
    const { engine, gaps, judged, waitingAgain, waits, endWait, failNextRead } = await setUp();
    gaps.defer(TOPIC, since, until);
    for (let tries = 1; tries < ENGINE_GAP_JUDGE_TRIES; tries++) {
      failNextRead();
      endWait();
      await waitFor(() => waitingAgain.length === tries, `try ${tries} failed`, 10_000);
    }
    failNextRead();
    await judgedAfter(endWait, judged);
    expect(judged).toEqual([{ result: 'failed', early: false, since, until }]);
    expect(waits()).toBe(0);
    expect(await stored(engine)).toEqual(['t1']);
  });

  it('judges a waiting gap at once when the replica stops', async () => {
    const { engine, gaps, judged } = await setUp();
    gaps.defer(TOPIC, since, until);
    await gaps.flush();
    expect(judged.map((j) => j.result)).toEqual(['published']);
    expect(await stored(engine)).toEqual(['t1', 'gap:ENGINE']);
  });

  it('waits at the stop for a judgement a wait\u2019s end started just before: it reports before the stop is over', async () => {
    const { engine, gaps, judged, endWait, holdNextRead } = await setUp();
    gaps.defer(TOPIC, since, until);
    const release = holdNextRead();
    endWait();
    let stopped = false;
    const stop = gaps.flush().then(() => void (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stop;
    expect(judged).toEqual([{ result: 'published', early: false, since, until }]);
    expect(await stored(engine)).toEqual(['t1', 'gap:ENGINE']);
  });

  it('waits at the stop for a judgement under way no longer than its bound', async () => {
    const { gaps, judged, endWait, holdNextRead } = await setUp();
    gaps.defer(TOPIC, since, until);
    const release = holdNextRead();
    endWait();
    let stopped = false;
    const stop = gaps.flush().then(() => void (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    // The stop's bound (ENGINE_GAP_FLUSH_MS) is over, the read still under way.
    endWait();
    await stop;
    expect(judged).toEqual([]);
    release();
  });
});
