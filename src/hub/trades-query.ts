/**
 * The trades Query twins (`optionTrades`, `futuresTrades`) answered from the
 * resume window (`resume-window.ts`), so that they hold trades even when no
 * subscription keeps the topic live, and page through history with `after`.
 *
 * A query joins the topic like a subscriber (one upstream subscription for
 * all), waits for the source to confirm it; a topic whose window holds no
 * trade yet, or holds only those of before the topic was closed (the query
 * opens it again), waits a little more for its first frame (the exchange
 * answers a subscribe with a batch of recent trades), then reads the window
 * and leaves.
 *
 * - without `after`: the newest `limit` trades of the view, newest first;
 * - with `after`: the trades after the cursor, oldest first, at most `limit`;
 *   a cursor past the window fails the query with `STREAM_INTERRUPTED`
 *   (`reason: CURSOR_EXPIRED`): never a silently partial page. A page that
 *   crosses one of the window's own gaps (an upstream interruption) says so:
 *   `gapsOf(page)` names each gap between the cursor and the page's last
 *   trade (to the window's end when the page is not full), which the Query
 *   twin reports beside the trades as `STREAM_INTERRUPTED` (`reason` of the
 *   gap). A gap after a full page is the next page's.
 *
 * Reads are bounded by the page: the window is asked for `limit` trades at a
 * time, and for more only while the subscriber's view (e.g. one `side`) left
 * the page short and the window had more.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { upstreamRejected, upstreamTimeout } from '../lib/errors.ts';
import type { Cursor } from './cursor.ts';
import { afterSeam } from './cursor-seam.ts';
import type { Listener, TopicHandle } from './listener.ts';
import { replayOf } from './resume-pages.ts';
import { windowTopicOf } from './resume.ts';
import type { ResumeWindow, WindowEntry } from './resume-window.ts';
import { StreamInterruption } from './signals.ts';

/** A page the view left short asks the window for this many times more trades (without `after`). */
const VIEW_SHORT_GROWTH = 4;

/** How long a query waits for a freshly opened topic's first frame (its batch of recent trades) once the source confirmed it. */
export const FIRST_BATCH_WAIT_MS = 1_000;

export interface TradesQuery {
  readonly window: ResumeWindow;
  /** The decoded `after`, when the query has one. */
  readonly cursor: Cursor | undefined;
  readonly limit: number;
  /** How long to wait for the source's confirmation (UPSTREAM_TIMEOUT after it). */
  readonly timeoutMs: number;
  readonly firstBatchWaitMs?: number;
}

/** Joins the topic for the query until its window can answer; resolves once the topic is confirmed and holds trades (or waited for them). */
function joined(join: (listener: Listener) => TopicHandle, channel: AnyChannel, hasTrades: () => Promise<boolean>, q: TradesQuery) {
  return new Promise<TopicHandle>((resolve, reject) => {
    let handle: TopicHandle | undefined;
    let settled = false;
    let firstFrame: () => void = () => undefined;
    const timer = setTimeout(
      () => fail(upstreamTimeout(`${channel.id}: the exchange did not answer within ${q.timeoutMs} ms; try again.`)),
      q.timeoutMs,
    );
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      handle?.release();
      reject(error);
    };
    const done = () => {
      if (settled || handle === undefined) return;
      settled = true;
      clearTimeout(timer);
      resolve(handle);
    };
    handle = join({
      deliver: () => firstFrame(),
      fail,
      end: () => fail(upstreamRejected('The gateway is shutting down.')),
    });
    handle.confirmed.then(
      () =>
        void hasTrades().then((has) => {
          if (has) return done();
          firstFrame = done;
          setTimeout(done, q.firstBatchWaitMs ?? FIRST_BATCH_WAIT_MS).unref();
        }, fail),
      fail,
    );
  });
}

/** The gaps each page of trades crossed, noted beside the page (the page itself stays a plain list of trades). */
const crossed = new WeakMap<object, readonly StreamInterruption[]>();

/** The window's gaps that `page` (a `takeTrades` answer) crossed, oldest first; none for anything else. */
export function gapsOf(page: unknown): readonly StreamInterruption[] {
  return (typeof page === 'object' && page !== null ? crossed.get(page) : undefined) ?? [];
}

/** At most `limit` trades of `items` in the view, oldest first, with the gaps before each and, when the page is not full, after the last. */
function pageOf(items: ReadonlyArray<StreamInterruption | unknown[]>, view: (trades: unknown[]) => unknown[], limit: number): unknown[] {
  const page: unknown[] = [];
  const gaps: StreamInterruption[] = [];
  let pending: StreamInterruption[] = [];
  for (const item of items) {
    if (item instanceof StreamInterruption) {
      pending.push(item);
      continue;
    }
    if (page.length >= limit) break;
    const seen = view(item).slice(0, limit - page.length);
    if (seen.length === 0) continue;
    gaps.push(...pending);
    pending = [];
    page.push(...seen);
  }
  if (page.length < limit) gaps.push(...pending);
  if (gaps.length > 0) crossed.set(page, gaps);
  return page;
}

/** The query's trades, in the subscriber's view (`channel.filter` with `args`); a page after a cursor notes the gaps it crossed (`gapsOf`). */
export async function takeTrades(
  join: (listener: Listener) => TopicHandle,
  channel: AnyChannel,
  args: unknown,
  q: TradesQuery,
): Promise<unknown[]> {
  const topic = windowTopicOf(channel, args);
  // A topic opened again by this query (it lingered out): what the window holds predates the time it was closed; wait for its first batch too.
  const reopening = q.window.closedAt?.(topic) !== undefined;
  const handle = await joined(join, channel, async () => !reopening && (await q.window.newest(topic, 1)).length > 0, q);
  try {
    const view = (trades: unknown[]): unknown[] => {
      if (trades.length === 0) return [];
      const seen = channel.filter(trades, args);
      return Array.isArray(seen) ? seen : [];
    };
    const tradesIn = (entries: readonly WindowEntry[]) => entries.flatMap((e) => (e.kind === 'trade' ? [e.trade] : []));
    if (q.cursor === undefined) {
      // The newest `limit`; more only when the view left the page short and the window had more.
      for (let asked = q.limit; ; asked *= VIEW_SHORT_GROWTH) {
        const found = await q.window.newest(topic, asked);
        const newest = replayOf(q.window, topic, found);
        const page = view(newest.items.flatMap((item) => (Array.isArray(item) ? item : []))).slice(0, q.limit);
        if (page.length >= q.limit || found.length < asked) return page;
      }
    }
    const cursor = q.cursor;
    const entries: WindowEntry[] = [];
    // `limit` trades after the cursor at a time, on from the last one read while the view left the page short.
    for (let position = cursor.position; ;) {
      const read = await q.window.after(topic, cursor.epoch, position, q.limit);
      if (read.status === 'unavailable')
        throw new StreamInterruption(cursor.at, Math.max(cursor.at, Date.now()), read.reason).toError('query');
      if (read.status === 'expired')
        throw new StreamInterruption(cursor.at, Math.max(cursor.at, read.oldestAt), 'CURSOR_EXPIRED').toError('query');
      const trades = read.entries.filter((e) => e.kind === 'trade');
      const full = trades.length >= q.limit;
      // A full read ends at its last trade: a gap after it comes again at the head of the next read.
      entries.push(...(full ? read.entries.slice(0, read.entries.findLastIndex((e) => e.kind === 'trade') + 1) : read.entries));
      // What the client had already (a cursor of a trade served while the engine was away: `cursor-seam.ts`) does not fill the page.
      if (!full || view(tradesIn(afterSeam(entries, cursor))).length >= q.limit) break;
      position = trades.at(-1)?.position ?? position;
    }
    return pageOf(replayOf(q.window, topic, entries, cursor).items, view, q.limit);
  } finally {
    handle.release();
  }
}
