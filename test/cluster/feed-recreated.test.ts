/**
 * A feed whose stream is deleted and created again under it, the connection
 * to NATS up throughout (`feed.ts`): the library's ordered consumer, recreated
 * from its own cursor, would wait for the old sequence or go on from the new
 * stream's end; the feed notices the new stream (its creation time) when the
 * consumer is recreated, says so (`onCreatedAgain`, awaited before anything of
 * the new stream is handed on) and starts over: a trades feed from the new
 * stream's first message, told first that trades may be missing (`onBehind`),
 * a state feed from the subject's latest value. Nothing is handed on twice.
 * A feed reopened after a cursor of the old stream (`afterCreated`: NATS was
 * away while the stream was created again) starts over as well, even when the
 * new stream already holds more messages than the cursor's sequence. A
 * consumer that ends on its own (the library gives it up) is said and opened
 * again after the last message delivered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openFeed, type FeedMessage } from '../../src/sources/cluster/feed.ts';
import { openEngine, type Engine } from '../../src/sources/cluster/engine.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const TRADES: ClusterTopic = { id: 'options:optionTrades:{"symbol":"BTCUSD-1"}', kind: 'event', market: 'options' };
const BOOK: ClusterTopic = { id: 'options:optionOrderBook:{"symbol":"BTCUSD-1"}', kind: 'state', market: 'options' };
/** Messages stored before the streams go: their sequences run past what the new streams reach in the test. */
const BEFORE = 40;
/** How long the feeds may take to notice (the library recreates its consumer within a few seconds). */
const NOTICE_MS = 15_000;
const idOf = (item: unknown) => (item as { id: string }).id;

/** Feeds of `topic` whose messages and notices are written down in order. */
async function watch(engine: Engine, topic: ClusterTopic): Promise<{ said: string[]; again: number }> {
  const seen = { said: [] as string[], again: 0 };
  const feed = await openFeed({
    js: engine.js,
    jsm: engine.jsm,
    names: engine.names,
    topic,
    expiresMs: 1_000,
    onMessage: (m: FeedMessage) => seen.said.push(`${m.seq}:${JSON.stringify(m.envelope?.items[0])}`),
    onBehind: (_gap, at) => seen.said.push(`behind ${at.after}->${at.next}`),
    onCreatedAgain: async () => void (seen.again += 1),
  });
  onDispose(() => feed.stop());
  return seen;
}

describe('a feed whose stream is created again under it', () => {
  it('starts over on the new stream: trades from its first, told first; the book from its latest value', { timeout: 60_000 }, async () => {
    const settings = engineSettings();
    const engine = await testEngine(settings);
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    let bookSeq = 0;
    for (let n = 1; n <= BEFORE; n++) {
      await publisher.publishEvents(TRADES, [{ id: `old${n}` }], idOf, n);
      bookSeq = (await publisher.publishState(BOOK, [{ id: `old${n}` }], n, bookSeq)).seq;
    }
    const trades = await watch(engine, TRADES);
    const book = await watch(engine, BOOK);
    await publisher.publishEvents(TRADES, [{ id: 'last' }], idOf, BEFORE + 1);
    await waitFor(() => trades.said.length === 1 && book.said.length === 1, 'the last old trade, the old book');

    await engine.jsm.streams.delete(settings.names.eventStream);
    await engine.jsm.streams.delete(settings.names.stateStream);
    const again = await openEngine(settings);
    await again.close();
    // The new streams get a little before the feeds notice, and more after.
    await publisher.publishEvents(TRADES, [{ id: 'new1' }, { id: 'new2' }], idOf, 100);
    await publisher.publishState(BOOK, [{ id: 'new1' }], 100, 0);
    const has = (seen: { said: string[] }, id: string) => seen.said.some((s) => s.endsWith(`{"id":"${id}"}`));
    await waitFor(() => has(trades, 'new2') && has(book, 'new1'), 'what the new streams got before the feeds noticed', NOTICE_MS);
    expect([trades.again, book.again]).toEqual([1, 1]);
    await publisher.publishEvents(TRADES, [{ id: 'new3' }], idOf, 101);
    await publisher.publishState(BOOK, [{ id: 'new2' }], 101, 1);
    await waitFor(() => trades.said.length === 5 && book.said.length === 3, 'the new trades and book values');

    expect(trades.said).toEqual([
      `${BEFORE + 1}:{"id":"last"}`,
      `behind ${BEFORE + 1}->1`,
      '1:{"id":"new1"}',
      '2:{"id":"new2"}',
      '3:{"id":"new3"}',
    ]);
    expect(book.said).toEqual([`${BEFORE}:{"id":"old${BEFORE}"}`, '1:{"id":"new1"}', '2:{"id":"new2"}']);
  });

  it('reopened after a cursor of a stream created again meanwhile, one already past the cursor: starts over, told first', async () => {
    const settings = engineSettings();
    const engine = await testEngine(settings);
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    const got: string[] = [];
    const first = await openFeed({
      js: engine.js,
      jsm: engine.jsm,
      names: engine.names,
      topic: TRADES,
      onMessage: (m) => got.push(`${m.seq}`),
    });
    for (let n = 1; n <= 3; n++) await publisher.publishEvents(TRADES, [{ id: `old${n}` }], idOf, n);
    await waitFor(() => got.length === 3, 'the old trades');
    const { lastSeq, created } = first;
    await first.stop();
    // Meanwhile (this replica away from NATS, say) the stream is created again and gets more than the cursor's sequence.
    await engine.jsm.streams.delete(settings.names.eventStream);
    await (await openEngine(settings)).close();
    for (let n = 1; n <= 5; n++) await publisher.publishEvents(TRADES, [{ id: `new${n}` }], idOf, 100 + n);

    const said: string[] = [];
    const feed = await openFeed({
      js: engine.js,
      jsm: engine.jsm,
      names: engine.names,
      topic: TRADES,
      after: lastSeq,
      afterTime: 3,
      afterCreated: created,
      onMessage: (m) => said.push(`${m.seq}:${idOf(m.envelope?.items[0])}`),
      onBehind: (_gap, at) => said.push(`behind ${at.after}->${at.next}`),
    });
    onDispose(() => feed.stop());
    await waitFor(() => said.length === 6, 'the new stream from its first trade');
    expect(said).toEqual(['behind 3->1', '1:new1', '2:new2', '3:new3', '4:new4', '5:new5']);
    expect(feed.created).not.toBe(created);
  });

  it('a consumer that ends on its own with an error is said and opened again after the last message: nothing lost, nothing twice', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    const got: string[] = [];
    const said: unknown[] = [];
    const feed = await openFeed({
      js: engine.js,
      jsm: engine.jsm,
      names: engine.names,
      topic: TRADES,
      onMessage: (m) => {
        got.push(idOf(m.envelope?.items[0]));
        // The consumer's loop ends with this error (as when the library gives the consumer up).
        if (got.length === 2) throw new Error('ended');
      },
      onReopenError: (error) => said.push(error instanceof Error ? error.message : error),
    });
    onDispose(() => feed.stop());
    for (let n = 1; n <= 5; n++) await publisher.publishEvents(TRADES, [{ id: `t${n}` }], idOf, n);
    await waitFor(() => got.length === 5, 'every trade');
    expect(got).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(said).toEqual(['ended']);
  });
});
