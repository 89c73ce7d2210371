/**
 * A trades holder catches up before it publishes again, against a real NATS
 * 2.9: what its own upstream received after the last trade stored goes into
 * the stream first, oldest first; a gap marker only when nothing it has
 * reaches back (and no other replica holds the topic), and one for each gap
 * its own upstream had since that trade. A holder whose lease
 * lapsed while trades came (an engine restart lapses every holder's at once)
 * stores them when it publishes again: without the catch-up they were lost.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { futuresTrades } from '../../src/channels/futures/trades.ts';
import type { Listener, TopicHandle } from '../../src/hub/listener.ts';
import { StreamInterruption } from '../../src/hub/signals.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { catchUp } from '../../src/sources/cluster/catch-up.ts';
import type { Engine } from '../../src/sources/cluster/engine.ts';
import { decodeStreamBody } from '../../src/sources/cluster/gap-marker.ts';
import { startHolder } from '../../src/sources/cluster/holder.ts';
import type { Lease } from '../../src/sources/cluster/lease.ts';
import { createPublisher, type Publisher } from '../../src/sources/cluster/publisher.ts';
import { readSubject } from '../../src/sources/cluster/stream-read.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, onDispose } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const TOPIC: ClusterTopic = { id: 'futures:futuresTrades:BTCUSD', kind: 'event', market: 'futures' };
const trade = (n: number) => ({ id: `t${n}`, timestamp: 1_000 + n, price: String(n) });
const trades = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => trade(from + i));
const idOf = (item: unknown) => (item as { id: string }).id;

/** What the topic's subject holds, in stream order: trade ids, and `gap` for a marker. */
async function stored(engine: Engine): Promise<string[]> {
  const records = await readSubject(engine, engine.names.subject(TOPIC));
  return records.map((r) => (r.gap === undefined ? r.envelope.items.map(idOf).join(',') : `gap:${r.gap.reason}`));
}

async function setUp(): Promise<{ engine: Engine; publisher: Publisher }> {
  const engine = await testEngine(engineSettings());
  return { engine, publisher: createPublisher({ js: engine.js, names: engine.names, node: 'me' }) };
}

const base = (engine: Engine, publisher: Publisher) => ({
  engine,
  publisher,
  topic: TOPIC,
  node: 'me',
  othersHold: () => Promise.resolve(false),
  valid: () => true,
  now: () => 5_000,
});

describe('catchUp', () => {
  it('stores what the own upstream got after the last trade stored, oldest first, and marks nothing', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, 1_003);
    const result = await catchUp({ ...base(engine, publisher), recent: trades(1, 6), batch: [trade(7)] });
    expect(result).toEqual({ filled: 3, holes: [] });
    expect(await stored(engine)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']);
  });

  it('leaves what came after the batch to its own frames: the stream keeps the trades in order', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 2), idOf, 1_002);
    // t5 and t6 reached the memory while the catch-up read it; t4 is the batch, published after the catch-up.
    const result = await catchUp({ ...base(engine, publisher), recent: trades(1, 6), batch: [trade(4)] });
    expect(result).toEqual({ filled: 1, holes: [] });
    expect(await stored(engine)).toEqual(['t1', 't2', 't3']);
  });

  it('sends again what failed to publish, though a later batch was stored meanwhile: none is lost', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 2), idOf, 1_002);
    // t3 and t4 failed; t5, sent before that was known, was stored.
    await publisher.publishEvents(TOPIC, [trade(5)], idOf, 1_005);
    const unsent = { retry: trades(3, 4), failedAt: [4_000, 4_000], stale: [] };
    const result = await catchUp({ ...base(engine, publisher), recent: trades(1, 6), batch: [trade(6)], unsent });
    expect(result).toEqual({ filled: 2, holes: [] });
    expect(await stored(engine)).toEqual(['t1', 't2', 't5', 't3', 't4']);
  });

  it('marks the time of what failed to publish too long ago to send again', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 2), idOf, 1_002);
    await publisher.publishEvents(TOPIC, [trade(5)], idOf, 1_005);
    const unsent = { retry: [], failedAt: [], stale: trades(3, 4) };
    const result = await catchUp({ ...base(engine, publisher), recent: trades(1, 6), batch: [trade(6)], unsent });
    expect(result.holes).toEqual([
      { marker: { since: trade(3).timestamp, until: trade(4).timestamp, reason: 'UPSTREAM' }, outcome: 'published' },
    ]);
    expect(await stored(engine)).toEqual(['t1', 't2', 't5', 'gap:UPSTREAM']);
  });

  it('marks a gap its own upstream had among what it stores (its connection dropped while the engine was away)', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, 1_003);
    const hole = { since: trade(5).timestamp, until: trade(8).timestamp };
    const gapsAfter: number[] = [];
    const result = await catchUp({
      ...base(engine, publisher),
      recent: [...trades(1, 5), ...trades(8, 9)],
      batch: [trade(10)],
      // One before the last trade stored (its own topic closed a while, say) is not this holder's to mark.
      recentGaps: (since) => (gapsAfter.push(since), Promise.resolve([{ since: trade(2).timestamp, until: trade(4).timestamp }, hole])),
    });
    expect(gapsAfter).toEqual([trade(3).timestamp]);
    expect(result).toEqual({ filled: 4, holes: [{ marker: { ...hole, reason: 'UPSTREAM' }, outcome: 'published' }] });
    // In time order: the trades before the hole, its marker, the trades after it.
    expect(await stored(engine)).toEqual(['t1', 't2', 't3', 't4', 't5', 'gap:UPSTREAM', 't8', 't9']);
  });

  it('marks no hole that its first batch reaches back across (the exchange re-sent those trades on the subscribe)', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, 1_003);
    const result = await catchUp({
      ...base(engine, publisher),
      recent: trades(1, 4),
      batch: trades(2, 9),
      recentGaps: () => Promise.resolve([{ since: trade(4).timestamp, until: trade(9).timestamp }]),
    });
    expect(result).toEqual({ filled: 0, holes: [] });
    expect(await stored(engine)).toEqual(['t1', 't2', 't3']);
  });

  it('ends a hole where the trades it holds from after it begin, not where its memory says', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, 1_003);
    const result = await catchUp({
      ...base(engine, publisher),
      recent: [...trades(1, 4), ...trades(7, 8)],
      batch: [trade(9)],
      recentGaps: () => Promise.resolve([{ since: trade(4).timestamp, until: trade(9).timestamp }]),
    });
    const marker = { since: trade(4).timestamp, until: trade(7).timestamp, reason: 'UPSTREAM' };
    expect(result).toEqual({ filled: 3, holes: [{ marker, outcome: 'published' }] });
    expect(await stored(engine)).toEqual(['t1', 't2', 't3', 't4', 'gap:UPSTREAM', 't7', 't8']);
  });

  it('marks a gap first when nothing it has reaches back to the last trade stored, then stores what it has', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, 1_003);
    const result = await catchUp({ ...base(engine, publisher), recent: trades(8, 9), batch: [trade(10)] });
    expect(result.filled).toBe(2);
    expect(result.gap?.outcome).toBe('published');
    expect(result.gap?.marker).toEqual({ since: trade(3).timestamp + 1, until: trade(8).timestamp, reason: 'UPSTREAM' });
    expect(await stored(engine)).toEqual(['t1', 't2', 't3', 'gap:UPSTREAM', 't8', 't9']);
  });

  it('marks nothing when another replica holds the topic (it published those trades)', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, 1_003);
    const result = await catchUp({ ...base(engine, publisher), othersHold: () => Promise.resolve(true), recent: [], batch: [trade(9)] });
    expect(result).toEqual({ filled: 0, holes: [] });
    expect(await stored(engine)).toEqual(['t1', 't2', 't3']);
  });
});

/**
 * A holder on a stand-in upstream whose lease the test lapses (`setValid`) and whose publishes it fails (`setFailing`);
 * `frame` delivers one exchange frame, `drop` a gap of it. `remembered`: what its upstream received before it took the
 * topic; `on`: an engine the test stored trades in already.
 */
async function lapsingHolder(remembered: readonly unknown[] = [], on?: { engine: Engine; publisher: Publisher }) {
  const { engine, publisher } = on ?? (await setUp());
  let valid = true;
  // While set, every publish of trades fails (the engine went away mid-publish); while held, they wait for `failHeld`.
  let failing = false;
  let holding = false;
  const held: Array<() => void> = [];
  const flaky: Publisher = {
    ...publisher,
    publishEvents: (...args) => {
      if (holding) return new Promise((_, reject) => held.push(() => reject(new Error('the engine went away mid-publish'))));
      return failing ? Promise.reject(new Error('the engine went away mid-publish')) : publisher.publishEvents(...args);
    },
  };
  const lease: Lease = {
    key: 'k',
    held: true,
    handedOver: false,
    valid: () => valid,
    take: () => Promise.resolve(true),
    release: () => Promise.resolve(),
  };
  let listener: Listener | undefined;
  const handle: TopicHandle = { last: undefined, confirmed: Promise.resolve(), snapshot: undefined, release: () => undefined };
  const received: unknown[] = [...remembered];
  // The own upstream's memory of its gaps (what the resume window keeps).
  const dropped: Array<{ since: number; until: number }> = [];
  const judged: Array<{ outcome: string; reason: string }> = [];
  const holder = startHolder({
    topic: TOPIC,
    channel: futuresTrades,
    args: { symbol: 'BTCUSD' },
    lease,
    tap: (_c, _a, l) => ((listener = l), handle),
    engine: () => ({ engine, publisher: flaky }),
    now: () => 5_000,
    logger: silentLogger,
    node: 'me',
    recentUpstream: () => Promise.resolve(received),
    recentGaps: (since) => Promise.resolve(dropped.filter((gap) => gap.until > since)),
    onGap: (outcome, gap) => void judged.push({ outcome, reason: gap.reason }),
  });
  onDispose(() => holder.stop());
  return {
    engine,
    judged,
    setValid: (value: boolean) => void (valid = value),
    /** Its publishes of trades wait from now on (true), until `failHeld` fails them; false: they go through again. */
    setHolding: (value: boolean) => void (holding = value),
    /** The held publishes fail now, once what is in flight has settled. */
    failHeld: async () => {
      for (const reject of held.splice(0)) reject();
      await new Promise((resolve) => setImmediate(resolve));
    },
    /** Its publishes of trades fail from now on (true) or succeed again (false), once what is in flight has settled. */
    setFailing: async (value: boolean) => {
      failing = value;
      await new Promise((resolve) => setImmediate(resolve));
    },
    /** The own upstream delivers one frame (newest first, as the exchange lists them). */
    frame: (...items: ReturnType<typeof trade>[]) => {
      received.push(...items);
      listener?.deliver([...items].reverse(), 1_000);
    },
    /** The own upstream's connection dropped from `since` to `until` (its listeners are told, its memory keeps it). */
    drop: (since: number, until: number) => {
      dropped.push({ since, until });
      listener?.interrupted?.(new StreamInterruption(since, until, 'UPSTREAM'));
    },
  };
}

describe('a holder whose lease lapsed while trades came', () => {
  it('stores them, in order, when it publishes again', async () => {
    const { engine, frame, setValid } = await lapsingHolder();
    frame(trade(1), trade(2));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2']), { timeout: 5_000 });
    setValid(false);
    frame(trade(3));
    frame(trade(4), trade(5));
    setValid(true);
    frame(trade(6));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']), { timeout: 5_000 });
    const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: engine.names.subject(TOPIC) });
    expect(last === null ? undefined : decodeStreamBody(last.data, last.header)?.envelope?.items).toEqual([trade(6)]);
  });

  it('whose publishes failed (the engine went away mid-publish) stores those trades, in order, before its next batch', async () => {
    const { engine, frame, setFailing } = await lapsingHolder();
    frame(trade(1), trade(2));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2']), { timeout: 5_000 });
    await setFailing(true);
    frame(trade(3));
    frame(trade(4), trade(5));
    await setFailing(false);
    frame(trade(6));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']), { timeout: 5_000 });
  });

  it('whose failed publish was known only after a later batch was stored sends it again: none is lost', async () => {
    const { engine, frame, setHolding, failHeld } = await lapsingHolder();
    frame(trade(1), trade(2));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2']), { timeout: 5_000 });
    setHolding(true);
    frame(trade(3), trade(4));
    setHolding(false);
    frame(trade(5));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2', 't5']), { timeout: 5_000 });
    await failHeld();
    frame(trade(6));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2', 't5', 't3', 't4', 't6']), { timeout: 5_000 });
  });

  it('taking the topic again with its upstream running stores what the stream lacks at once, before any new trade', async () => {
    const { engine, publisher } = await setUp();
    await publisher.publishEvents(TOPIC, trades(1, 2), idOf, 1_002);
    // Its upstream ran through the engine's restart: its memory holds t3 and t4, which nobody stored (a quiet market since).
    const { engine: same } = await lapsingHolder(trades(1, 4), { engine, publisher });
    await vi.waitFor(async () => expect(await stored(same)).toEqual(['t1', 't2', 't3', 't4']), { timeout: 5_000 });
  });

  it('marks the gap its upstream had meanwhile (it could not be marked then) among what it stores, in time order', async () => {
    const { engine, frame, drop, setValid, judged } = await lapsingHolder();
    frame(trade(1), trade(2));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2']), { timeout: 5_000 });
    setValid(false);
    frame(trade(3));
    drop(trade(3).timestamp + 1, trade(6).timestamp);
    frame(trade(6));
    setValid(true);
    frame(trade(7));
    await vi.waitFor(async () => expect(await stored(engine)).toEqual(['t1', 't2', 't3', 'gap:UPSTREAM', 't6', 't7']), { timeout: 5_000 });
    expect(judged).toEqual([{ outcome: 'published', reason: 'UPSTREAM' }]);
  });
});
