/**
 * A hub alone over a memory window for the page-by-page resume tests
 * (`hub/resume-pages.ts`): the window's reads are counted (how many, the
 * trades they returned, the most in one), a test may change a read (`wrap`)
 * or the window's epoch (`epoch`: the stream created again), and a source the
 * test drives publishes numbered trades, with positions of its own when told.
 * A test may put another window under it (`over`: the cluster's stream window).
 */
import { CHANNELS } from '../../src/channels/registry.ts';
import { encodeCursor } from '../../src/hub/cursor.ts';
import { createMemoryWindow } from '../../src/hub/memory-window.ts';
import { attachResuming, checkCursor, newResumeCounts, type ResumeCounts } from '../../src/hub/resume.ts';
import type { ResumeWindow, WindowRead } from '../../src/hub/resume-window.ts';
import type { HubPort, SourceTopic } from '../../src/hub/source-port.ts';
import { createTopicTable, type TopicTable } from '../../src/hub/topic-table.ts';
import type { Sink } from '../../src/hub/sink.ts';
import { onDispose } from './gateway.ts';

const trades = CHANNELS.futuresTrades;
const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;

/** Trade number `n`: its id, price and time all say `n`. */
export const trade = (n: number) => ({
  id: `BTCUSD|${1_700_000_000_000 + n}|${n}|0.1|BUY|0`,
  symbol: 'BTCUSD',
  price: String(n),
  volume: '0.1',
  side: 'BUY',
  timestamp: 1_700_000_000_000 + n,
});
export const numberOf = (t: unknown): number => Number((t as { price: string }).price);
export const tradesOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export interface Reads {
  /** Window reads (`after`) so far. */
  count: number;
  /** Trades those reads returned. */
  trades: number;
  /** The most trades one read returned. */
  largest: number;
}

export interface PagedHubOptions {
  readonly maxTrades?: number;
  /** Read number `n` (from 1) answered otherwise (undefined: as the window answers). */
  readonly wrap?: (inner: ResumeWindow, n: number) => Promise<WindowRead> | undefined;
  /** The window's epoch now (default: the memory window's own). */
  readonly epoch?: () => string | undefined;
  /** The window under the hub (default: a memory window). */
  readonly over?: ResumeWindow;
}

/** Lets whatever the replay would do by itself run (its reads are memory reads: a few turns of the event loop). */
export const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A topic table over `window` whose source the test drives: `topic()` is the hub's port and the topic it opened. */
export function hubTable(window: ResumeWindow) {
  let hub: HubPort | undefined;
  let opened: SourceTopic | undefined;
  const table = createTopicTable({ window }, (port) => {
    hub = port;
    return { subscribe: (topic) => void (opened = topic), unsubscribe: () => undefined, close: () => undefined, status: () => undefined };
  });
  onDispose(() => table.close());
  const topic = () => {
    if (hub === undefined || opened === undefined) throw new Error('the topic is not open');
    return { hub, opened };
  };
  return { table, topic };
}

/** A BTCUSD trades subscription on `table` resuming after the cursor `after` (a failure comes as the last value). */
export function resumeOn(
  table: TopicTable,
  window: ResumeWindow,
  after: string,
  counts: ResumeCounts,
  eventQueueLimit?: number,
): Sink<unknown> {
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
}

/** A hub over a memory window (its reads counted, and `wrap` may change them), with a source the test drives. */
export function pagedHub(options: PagedHubOptions = {}) {
  const inner = options.over ?? createMemoryWindow({ maxTradesPerTopic: options.maxTrades ?? 20_000, windowMs: 600_000 });
  const reads: Reads = { count: 0, trades: 0, largest: 0 };
  const window: ResumeWindow = {
    ...inner,
    get epoch() {
      return options.epoch?.() ?? inner.epoch;
    },
    after: async (topic, epoch, position, limit) => {
      reads.count += 1;
      const read = (await options.wrap?.(inner, reads.count)) ?? (await inner.after(topic, epoch, position, limit));
      const got = read.entries.filter((e) => e.kind === 'trade').length;
      reads.trades += got;
      reads.largest = Math.max(reads.largest, got);
      return read;
    },
  };
  const { table, topic } = hubTable(window);
  let next = 0;
  const counts = newResumeCounts();
  // Someone follows the topic live, so that it stays open and its trades are retained.
  const follower = table.join(trades, trades.parseArgs({ symbol: 'BTCUSD' }, Date.now()), {
    deliver: () => undefined,
    fail: () => undefined,
    end: () => undefined,
  });
  onDispose(() => follower.release());
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
    /** Publishes the next trade at `position` (the source knows it: a stream sequence); returns its number. */
    publishAt(position: number): number {
      const { hub: port, opened: source } = topic();
      port.publish(source, [trade(++next)], Date.now(), undefined, [position]);
      return next;
    },
    gap: (since: number, until: number) => topic().hub.gap(topic().opened, since, until, 'UPSTREAM'),
    /**
     * Resumes after trade number `n` (its position is `n`: the window's positions count from 1); `own`: the cursor is
     * trade `own`'s, served while the engine was away, that carries only the position `n` its replica saw last.
     */
    resume(n: number, eventQueueLimit?: number, own = n) {
      const after = encodeCursor({ topic: TOPIC, epoch: inner.epoch, position: n, at: trade(own).timestamp, id: trade(own).id });
      return resumeOn(table, window, after, counts, eventQueueLimit);
    },
  };
}
