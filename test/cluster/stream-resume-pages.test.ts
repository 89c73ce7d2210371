/**
 * A resume replayed from the cluster's stream window page by page, on the
 * file's own engine, in the hub alone: each read asks the engine for one page
 * (never the whole backlog) and the next is read only once the client took
 * the last; the stream dropping the next page's trades while the client was
 * slow (its per-topic limit) is said as CURSOR_EXPIRED from where the replay
 * stopped; the engine going away mid-replay is said as STREAM_INTERRUPTED
 * (ENGINE) from the last replayed trade, then live.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/channels/registry.ts';
import { encodeCursor } from '../../src/hub/cursor.ts';
import { REPLAY_PAGE_TRADES } from '../../src/hub/resume-pages.ts';
import { newResumeCounts } from '../../src/hub/resume.ts';
import { StreamInterruption } from '../../src/hub/signals.ts';
import { clusterTopicOf } from '../../src/sources/cluster/cluster-topic.ts';
import type { Engine } from '../../src/sources/cluster/engine.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import { createStreamWindow } from '../../src/sources/cluster/stream-window.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';
import { hubTable, numberOf, resumeOn, trade, tradesOf } from '../helpers/paged-hub.ts';

useOwnNatsServer();

afterEach(disposeAll);

const trades = CHANNELS.futuresTrades;
const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const PAGE = REPLAY_PAGE_TRADES;

const idOf = (item: unknown): string => (typeof item === 'object' && item !== null && 'id' in item ? String(item.id) : '');

/** The engine with trades 1..`count` of BTCUSD stored (keeping at most `maxEventsPerTopic`), and a way to store more. */
async function engineWith(count: number, maxEventsPerTopic = 10_000) {
  const engine = await testEngine(engineSettings({ maxEventsPerTopic }));
  const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
  let stored = 0;
  const store = async (n: number) => {
    for (let sent = 0; sent < n; sent += 100) {
      const run = Array.from({ length: Math.min(100, n - sent) }, () => trade(++stored));
      await publisher.publishEvents(clusterTopicOf(trades, 'BTCUSD'), run, idOf, Date.now());
    }
  };
  await store(count);
  const first = await engine.jsm.direct.getMessage(engine.names.eventStream, {
    seq: 1,
    next_by_subj: engine.names.subject(clusterTopicOf(trades, 'BTCUSD')),
  });
  return { engine, store, firstSeq: first?.seq ?? 0 };
}

/** A hub over the engine's stream window (what each read asked the engine for, counted); resumes after trade 1. */
function resumeAfterFirst(engine: () => Engine | undefined, firstSeq: number) {
  const asked: number[] = [];
  const window = createStreamWindow({ engine, onRead: (_topic, messages) => void asked.push(messages), onReadError: () => undefined });
  const { table, topic } = hubTable(window);
  const counts = newResumeCounts();
  const epoch = engine()?.eventEpoch ?? '';
  const after = encodeCursor({ topic: TOPIC, epoch, position: firstSeq, at: trade(1).timestamp, id: trade(1).id });
  const events = resumeOn(table, window, after, counts);
  // The source confirms the topic: the stream window's reads follow it.
  topic().hub.answered(topic().opened, Date.now());
  return { events, asked, counts };
}

describe('a resume from the stream window, page by page', () => {
  it('asks the engine for one page per read, the next only once the client took the last: every trade once, in order', async () => {
    const { engine, firstSeq } = await engineWith(3_500);
    const { events, asked, counts } = resumeAfterFirst(() => engine, firstSeq);
    const got: number[] = [];
    let messages = 0;
    while (got.length < 3_499) {
      await waitFor(() => asked.length >= messages + 1, 'the page read');
      // No read runs ahead of what the client took.
      expect(asked.length).toBe(messages + 1);
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      messages += 1;
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 3_499 }, (_, i) => i + 2));
    expect(asked.every((n) => n <= PAGE)).toBe(true);
    await waitFor(() => counts.replayed === 1, 'the replay at the window’s end');
  });

  it('says CURSOR_EXPIRED from where the replay stopped when the stream dropped the next page while the client was slow', async () => {
    const { engine, store, firstSeq } = await engineWith(2_500, 2_500);
    const { events, asked, counts } = resumeAfterFirst(() => engine, firstSeq);
    await waitFor(() => asked.length === 1, 'the first page read');
    // The client is slow to take it: 2 000 more trades push trades up to 2 000 out of the stream.
    await store(2_000);
    const values: unknown[] = [];
    while (values.flatMap(tradesOf).length < PAGE + 2_500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the stream ended');
      values.push(value);
    }
    expect(values[1]).toBeInstanceOf(StreamInterruption);
    expect((values[1] as StreamInterruption).toError().details).toMatchObject({
      reason: 'CURSOR_EXPIRED',
      since: new Date(trade(PAGE + 1).timestamp).toISOString(),
      until: new Date(trade(2_001).timestamp).toISOString(),
    });
    expect(values.flatMap(tradesOf).map(numberOf)).toEqual([
      ...Array.from({ length: PAGE }, (_, i) => i + 2),
      ...Array.from({ length: 2_500 }, (_, i) => i + 2_001),
    ]);
    await waitFor(() => counts.expired === 1, 'the replay at the window’s end');
  });

  it('says STREAM_INTERRUPTED (ENGINE) from the last replayed trade when the engine goes away mid-replay', async () => {
    const { engine, firstSeq } = await engineWith(2_500);
    const { events, asked } = resumeAfterFirst(() => engine, firstSeq);
    await waitFor(() => asked.length === 1, 'the first page read');
    // Its connection closed: the next page's read fails.
    await engine.close();
    expect(tradesOf((await events.next()).value)).toHaveLength(PAGE);
    const signal = (await events.next()).value;
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect((signal as StreamInterruption).toError().details).toMatchObject({
      reason: 'ENGINE',
      since: new Date(trade(PAGE + 1).timestamp).toISOString(),
    });
  });
});
