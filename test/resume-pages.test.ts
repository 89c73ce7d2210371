/**
 * A resuming trades subscription replays page by page, as its client takes
 * them (`hub/resume-pages.ts`), in the hub alone over a memory window whose
 * reads are counted: the next page is read only once the last was taken
 * (never more than two pages ahead of the client); a client that leaves
 * mid-replay stops the reads; what goes live meanwhile is held within the
 * subscriber's queue limit (lists merge, then SUBSCRIBER_TOO_SLOW); the window
 * moving past the next page while the client was slow is said
 * (CURSOR_EXPIRED from where the replay stopped); a later page that cannot be
 * read is said in band; a gap at a page's end is said once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { encodeCursor } from '../src/hub/cursor.ts';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import { REPLAY_PAGE_TRADES } from '../src/hub/resume-pages.ts';
import { attachResuming, checkCursor, newResumeCounts } from '../src/hub/resume.ts';
import type { ResumeWindow, WindowRead } from '../src/hub/resume-window.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import type { HubPort, SourceTopic } from '../src/hub/source-port.ts';
import { createTopicTable } from '../src/hub/topic-table.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { disposeAll, onDispose, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const trades = CHANNELS.futuresTrades;
const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const PAGE = REPLAY_PAGE_TRADES;

/** Trade number `n`: its id, price and time all say `n`. */
const trade = (n: number) => ({
  id: `BTCUSD|${1_700_000_000_000 + n}|${n}|0.1|BUY|0`,
  symbol: 'BTCUSD',
  price: String(n),
  volume: '0.1',
  side: 'BUY',
  timestamp: 1_700_000_000_000 + n,
});
const numberOf = (t: unknown): number => Number((t as { price: string }).price);

interface Reads {
  /** Window reads (`after`) so far. */
  count: number;
  /** Trades those reads returned. */
  trades: number;
}

/** A hub over a memory window (its reads counted, and `wrap` may change them), with a source the test drives. */
function hubOver(options: { maxTrades?: number; wrap?: (inner: ResumeWindow, n: number) => Promise<WindowRead> | undefined } = {}) {
  const inner = createMemoryWindow({ maxTradesPerTopic: options.maxTrades ?? 20_000, windowMs: 600_000 });
  const reads: Reads = { count: 0, trades: 0 };
  const window: ResumeWindow = {
    ...inner,
    epoch: inner.epoch,
    after: async (topic, epoch, position, limit) => {
      reads.count += 1;
      const read = (await options.wrap?.(inner, reads.count)) ?? (await inner.after(topic, epoch, position, limit));
      reads.trades += read.entries.filter((e) => e.kind === 'trade').length;
      return read;
    },
  };
  let hub: HubPort | undefined;
  let opened: SourceTopic | undefined;
  const table = createTopicTable({ window }, (port) => {
    hub = port;
    return { subscribe: (topic) => void (opened = topic), unsubscribe: () => undefined, close: () => undefined, status: () => undefined };
  });
  onDispose(() => table.close());
  let next = 0;
  const counts = newResumeCounts();
  // Someone follows the topic live, so that it stays open and its trades are retained.
  const follower = table.join(trades, trades.parseArgs({ symbol: 'BTCUSD' }, Date.now()), {
    deliver: () => undefined,
    fail: () => undefined,
    end: () => undefined,
  });
  onDispose(() => follower.release());
  const topic = () => {
    if (hub === undefined || opened === undefined) throw new Error('the topic is not open');
    return { hub, opened };
  };
  topic().hub.answered(topic().opened, Date.now());
  return {
    inner,
    reads,
    counts,
    /** Publishes the next `n` trades, in frames of `perFrame` (newest first, as the exchange sends them). */
    publish(n: number, perFrame = n) {
      const { hub: port, opened: source } = topic();
      for (let sent = 0; sent < n; sent += perFrame) {
        const frame = Array.from({ length: Math.min(perFrame, n - sent) }, () => trade(++next)).reverse();
        port.publish(source, frame, Date.now(), undefined);
      }
    },
    gap: (since: number, until: number) => topic().hub.gap(topic().opened, since, until, 'UPSTREAM'),
    /**
     * Resumes after trade number `n` (its position is `n`: the window's positions count from 1); `own`: the cursor is
     * trade `own`'s, served while the engine was away, that carries only the position `n` its replica saw last.
     */
    resume(n: number, eventQueueLimit?: number, own = n) {
      const after = encodeCursor({ topic: TOPIC, epoch: inner.epoch, position: n, at: trade(own).timestamp, id: trade(own).id });
      const args = trades.parseArgs({ symbol: 'BTCUSD', after }, Date.now());
      const cursor = checkCursor(trades, args, after, counts);
      const subscription = attachResuming(
        (listener) => table.join(trades, args, listener),
        trades,
        args,
        { window, cursor, counts },
        {
          ...(eventQueueLimit === undefined ? {} : { eventQueueLimit }),
          failureValue: (error) => error,
        },
      );
      onDispose(() => subscription.events.return().then(() => undefined));
      return subscription.events;
    },
  };
}

/** Lets whatever the replay would do by itself run (its reads are memory reads: a few turns of the event loop). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const tradesOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

describe('a resume replays page by page, as the client takes them', () => {
  it('reads the next page only once the client took the last: never more than two pages ahead, every trade once, in order', async () => {
    const setup = hubOver();
    setup.publish(5_000, 100);
    const events = setup.resume(1);
    const got: number[] = [];
    let messages = 0;
    while (got.length < 4_999) {
      await settle();
      // What the window was read for and the client has not taken yet.
      expect(setup.reads.trades - got.length, `read ahead after ${messages} messages`).toBeLessThanOrEqual(2 * PAGE);
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      messages += 1;
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 4_999 }, (_, i) => i + 2));
    expect(messages).toBe(5);
    expect(setup.reads.count).toBeLessThanOrEqual(messages + 1);
    // Then live, after the seam.
    setup.publish(3);
    const { value } = await events.next();
    expect(tradesOf(value).map(numberOf)).toEqual([5_003, 5_002, 5_001]);
    expect(setup.counts).toMatchObject({ replayed: 1, expired: 0 });
  });

  it('stops reading when the client leaves mid-replay', async () => {
    const setup = hubOver();
    setup.publish(5_000, 100);
    const events = setup.resume(1);
    await events.next();
    await waitFor(() => setup.reads.count === 2, 'the second page read once the first was taken');
    await events.return();
    // The replay ends once it sees the client gone (it counts the resume then).
    await waitFor(() => setup.counts.replayed === 1, 'the replay ending');
    await settle();
    expect(setup.reads.count).toBe(2);
  });

  it('finds the seam of a trade served while the engine was away further than a page on: nothing the client had comes again', async () => {
    const setup = hubOver();
    setup.publish(3_000, 100);
    // The client had every trade up to 1,500; its cursor carries only position 1 (the last its replica saw on the engine).
    const events = setup.resume(1, undefined, 1_500);
    const got: number[] = [];
    while (got.length < 1_500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 1_500 }, (_, i) => i + 1_501));
  });
});

describe('what goes live during a slow client’s replay', () => {
  it('is held, merged past the queue limit, and follows the replay at the seam: nothing lost, nothing repeated', async () => {
    const setup = hubOver();
    setup.publish(2_500, 100);
    const events = setup.resume(0, 4);
    const first = await events.next();
    // While the client is slow, 30 live frames (more than the queue limit of 4).
    setup.publish(30, 1);
    const got = tradesOf(first.value).map(numberOf);
    while (got.length < 2_530) {
      const { value, done } = await events.next();
      if (done === true || value instanceof Error) throw new Error(`the stream ended: ${String(value)}`);
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 2_530 }, (_, i) => i + 1));
  });

  it('drops the subscriber with SUBSCRIBER_TOO_SLOW past the queue limit when it cannot merge, never an unbounded hold', async () => {
    const setup = hubOver();
    setup.publish(2_500, 100);
    const events = setup.resume(0, 4);
    await events.next();
    setup.publish(4, 1);
    // An interruption cannot merge into a list: the hold is full.
    setup.gap(1, 2);
    const values: unknown[] = [];
    for (;;) {
      const { value, done } = await events.next();
      if (done === true) break;
      values.push(value);
    }
    const last = values.at(-1);
    expect(last).toBeInstanceOf(GatewayError);
    expect((last as GatewayError).code).toBe('SUBSCRIBER_TOO_SLOW');
    // No live trade went out before the drop.
    expect(values.flatMap(tradesOf).every((t) => numberOf(t) <= 2_500)).toBe(true);
  });
});

describe('a later page', () => {
  it('says CURSOR_EXPIRED from where the replay stopped when the window moved past it while the client was slow, then what is retained, then live', async () => {
    const setup = hubOver({ maxTrades: 2_500 });
    setup.publish(2_500, 100);
    const events = setup.resume(1);
    await waitFor(() => setup.reads.trades === PAGE, 'the first page read');
    // The client is slow to take it: 2 000 more trades push the window past its next page.
    setup.publish(2_000, 100);
    const first = await events.next();
    const values: unknown[] = [first.value];
    while (values.flatMap(tradesOf).length < 1_000 + 2_500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the stream ended');
      values.push(value);
    }
    const signal = values[1];
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect((signal as StreamInterruption).toError().details).toMatchObject({
      reason: 'CURSOR_EXPIRED',
      since: new Date(trade(1_001).timestamp).toISOString(),
      until: new Date(trade(2_001).timestamp).toISOString(),
    });
    const got = values.flatMap(tradesOf).map(numberOf);
    expect(got).toEqual([...Array.from({ length: 1_000 }, (_, i) => i + 2), ...Array.from({ length: 2_500 }, (_, i) => i + 2_001)]);
    setup.publish(1);
    const { value } = await events.next();
    expect(tradesOf(value).map(numberOf)).toEqual([4_501]);
    expect(setup.counts).toMatchObject({ replayed: 0, expired: 1 });
  });

  it('that cannot be read says STREAM_INTERRUPTED (ENGINE) from the last replayed trade, then goes live', async () => {
    const setup = hubOver({
      wrap: (_inner, n) => (n === 2 ? Promise.resolve({ status: 'unavailable', reason: 'ENGINE', entries: [] }) : undefined),
    });
    setup.publish(2_500, 100);
    const events = setup.resume(0);
    const first = await events.next();
    expect(tradesOf(first.value)).toHaveLength(PAGE);
    const signal = (await events.next()).value;
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect((signal as StreamInterruption).toError().details).toMatchObject({
      reason: 'ENGINE',
      since: new Date(trade(PAGE).timestamp).toISOString(),
    });
    setup.publish(1);
    expect(tradesOf((await events.next()).value).map(numberOf)).toEqual([2_501]);
  });

  it('whose read fails ends the subscription with that error, in band', async () => {
    const setup = hubOver({ wrap: (_inner, n) => (n === 2 ? Promise.reject(new Error('the engine went away')) : undefined) });
    setup.publish(2_500, 100);
    const events = setup.resume(0);
    expect(tradesOf((await events.next()).value)).toHaveLength(PAGE);
    const failed = await events.next();
    expect(failed.value).toBeInstanceOf(Error);
    expect((failed.value as Error).message).toBe('the engine went away');
    expect((await events.next()).done).toBe(true);
  });

  it('says a gap right after a full page once', async () => {
    const setup = hubOver();
    setup.publish(PAGE, 100);
    setup.gap(5, 6);
    setup.publish(500, 100);
    const events = setup.resume(0);
    const values: unknown[] = [];
    while (values.flatMap(tradesOf).length < PAGE + 500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the stream ended');
      values.push(value);
    }
    expect(values.map((v) => (v instanceof StreamInterruption ? 'gap' : tradesOf(v).length))).toEqual([PAGE, 'gap', 500]);
  });
});
