/**
 * The replay of a trades subscription resuming after a cursor, page by page
 * (`resume.ts` joins the topic, holds what goes live meanwhile and cuts the
 * seam). The window is read `REPLAY_PAGE_TRADES` trades at a time; a page is
 * given to the subscriber, and the next one is read only once the subscriber
 * has taken it, until a read comes back short (the window's end). A resuming
 * client thus holds about one page, however long the backlog, and its first
 * trades go out after one page's read.
 *
 * - The first read: a cursor past the window gives `STREAM_INTERRUPTED`
 *   (`CURSOR_EXPIRED`, from the cursor's time until the oldest retained
 *   trade's) and then what is retained; the cursor seam (`cursor-seam.ts`) is
 *   cut in this first page. When the page holds only trades older than the
 *   cursor's, none its own (a trade served while the engine was away, stored
 *   later by a holder's catch-up, more than a page after its position),
 *   cutting there would give the client trades it had again: the window is
 *   read on a page at a time until the page the seam is in, keeping of the
 *   pages skipped only their gaps past the cursor's time, and the replay goes
 *   on from that page. A seam at the start after all (a newer trade first, or
 *   the window's end without the cursor's trade) replays from the cursor's
 *   position as usual. Each read is one page, however far the seam is.
 * - A later read starts after the last position read; the last replayed
 *   trade's time stands for the cursor's. Trades the window no longer keeps
 *   there (it moved past them while the client was slow, or the stream was
 *   created again): `CURSOR_EXPIRED` from that time, then what is retained.
 *   A window of another epoch (the stream created again) numbers its trades
 *   anew: where the replay ends is then counted in its positions only.
 * - A window that cannot be read (`unavailable`): `STREAM_INTERRUPTED` with
 *   its reason from where the replay stands until now, and the replay ends
 *   (live follows). A read that rejects rejects the replay.
 * - A window's gap at a page's end may come again at the head of the next
 *   read (a gap sits at its trade's position): it is given once.
 * - The ids of the last trades given (`REPLAYED_IDS_KEPT`) are kept for the
 *   seam of a window whose positions may be stand-ins (`resume-window.ts`
 *   `standInPositions`; none for the memory window): a live trade at a
 *   stand-in position is cut only when the replay gave it.
 */
import { isRecord } from '../lib/json.ts';
import { stampTrade, tradeIdOf, type Cursor } from './cursor.ts';
import { afterSeam, findSeam, gapsPast, seamDecided } from './cursor-seam.ts';
import type { ResumeWindow, WindowEntry, WindowRead, WindowTopic } from './resume-window.ts';
import { StreamInterruption } from './signals.ts';

/** Most trades in one replayed message (a client's message size stays sane; a 20 000-trade replay is 20 messages). */
export const REPLAY_BATCH_TRADES = 1_000;
/** Trades per window read of a replay: a page is one replayed message (a gap inside splits it). */
export const REPLAY_PAGE_TRADES = REPLAY_BATCH_TRADES;
/** The ids of this many last replayed trades are kept for the seam (a live trade at a stand-in position is one of the newest). */
export const REPLAYED_IDS_KEPT = REPLAY_PAGE_TRADES;

/** What a window read turns into for the subscriber: signals and trade batches (oldest first), and the last position read. */
export function replayOf(
  window: ResumeWindow,
  topic: WindowTopic,
  entries: readonly WindowEntry[],
  cursor?: Cursor,
): { readonly items: Array<StreamInterruption | unknown[]>; readonly last: number } {
  const items: Array<StreamInterruption | unknown[]> = [];
  let batch: unknown[] = [];
  let last = Number.NEGATIVE_INFINITY;
  const flush = () => {
    if (batch.length > 0) items.push(batch);
    batch = [];
  };
  // What was read reaches `last`, though the client had some of it (`cursor-seam.ts`).
  for (const entry of entries) last = Math.max(last, entry.position);
  for (const entry of cursor === undefined ? entries : afterSeam(entries, cursor)) {
    if (entry.kind === 'gap') {
      flush();
      items.push(new StreamInterruption(entry.since, entry.until, entry.reason));
      continue;
    }
    const trade = isRecord(entry.trade)
      ? stampTrade(entry.trade, { topic, epoch: window.epoch, position: entry.position, at: entry.at, id: tradeIdOf(entry.trade) }, true)
      : entry.trade;
    batch.push(trade);
    if (batch.length >= REPLAY_BATCH_TRADES) flush();
  }
  flush();
  return { items, last };
}

/** The key a gap is said under: live does not say a gap the replay gave. */
export const gapKey = (signal: StreamInterruption): string => `${signal.since}:${signal.until}`;

export interface ReplayTarget {
  readonly window: ResumeWindow;
  readonly topic: WindowTopic;
  readonly cursor: Cursor;
  /** Gives one replayed item to the subscriber: a batch of trades (oldest first) or a signal. */
  readonly give: (item: StreamInterruption | unknown[]) => void;
  /** Resolves true once the subscriber took everything given, false once it takes no more (it left, or was dropped). */
  readonly taken: () => Promise<boolean>;
  /** Trades per page (REPLAY_PAGE_TRADES unless told). */
  readonly pageTrades?: number;
  readonly now?: () => number;
}

export interface ReplayEnd {
  /** The last position replayed (the cursor's when nothing after it was): live goes on after it. */
  readonly upTo: number;
  /** The epoch `upTo` is a position of: live trades of another epoch are not cut by it. */
  readonly epoch: string;
  /** The gaps the replay gave (`gapKey`), which live does not say again. */
  readonly gaps: ReadonlySet<string>;
  /**
   * The ids of the last trades the replay gave (at most `REPLAYED_IDS_KEPT`; none when the window's positions are never
   * stand-ins): a live trade at a stand-in position is cut only when its id is one.
   */
  readonly ids: ReadonlySet<string>;
  /** Trades after the cursor may be missing from the replay (`CURSOR_EXPIRED`, or the window could not be read). */
  readonly expired: boolean;
  /** The subscriber took no more before the window's end: nothing goes live. */
  readonly stopped: boolean;
}

const tradesIn = (entries: readonly WindowEntry[]): number => entries.filter((entry) => entry.kind === 'trade').length;
const lastPositionIn = (entries: readonly WindowEntry[]): number =>
  entries.reduce((last, entry) => Math.max(last, entry.position), Number.NEGATIVE_INFINITY);

/**
 * The first page of a replay after `cursor`: the first read, or when it does not show the cursor seam, the page of
 * the window the seam is in (its read's status), after the gaps past the cursor's time of the pages skipped. Read a
 * page at a time; when the seam is at the start after all, the first page read again.
 */
async function firstPage(window: ResumeWindow, topic: WindowTopic, cursor: Cursor, pageTrades: number): Promise<WindowRead> {
  const read = await window.after(topic, cursor.epoch, cursor.position, pageTrades);
  if (read.status === 'unavailable' || tradesIn(read.entries) < pageTrades || seamDecided(read.entries, cursor)) return read;
  // Of the pages skipped only their gaps are kept (a resuming client holds about one page, however far its seam).
  const head = read.status === 'expired' ? { status: read.status, oldestAt: read.oldestAt, epoch: read.epoch } : undefined;
  const epoch = head?.epoch ?? cursor.epoch;
  const gaps = gapsPast(read.entries, cursor);
  for (let position = lastPositionIn(read.entries); ;) {
    const page = await window.after(topic, epoch, position, pageTrades);
    if (page.status !== 'kept') break;
    const seam = findSeam(page.entries, cursor);
    if (seam === 'start') break;
    if (seam !== 'undecided') {
      const entries = [...gaps, ...page.entries];
      return head === undefined ? { status: 'kept', entries } : { ...head, entries };
    }
    if (tradesIn(page.entries) < pageTrades) break;
    gaps.push(...gapsPast(page.entries, cursor));
    position = lastPositionIn(page.entries);
  }
  // Not found further on (or the window changed meanwhile): the seam is at the start.
  return window.after(topic, cursor.epoch, cursor.position, pageTrades);
}

/** Notes a replayed trade's id, forgetting the oldest past `REPLAYED_IDS_KEPT`. */
function keepId(ids: Set<string>, id: string | undefined): void {
  if (id === undefined) return;
  ids.delete(id);
  ids.add(id);
  for (const oldest of ids) {
    if (ids.size <= REPLAYED_IDS_KEPT) break;
    ids.delete(oldest);
  }
}

/** Replays the window after `target.cursor`, page by page as the subscriber takes them. */
export async function replayPages(target: ReplayTarget): Promise<ReplayEnd> {
  const { window, topic, cursor, taken } = target;
  const pageTrades = target.pageTrades ?? REPLAY_PAGE_TRADES;
  const now = target.now ?? Date.now;
  const gaps = new Set<string>();
  const ids = new Set<string>();
  // Only a window with stand-in positions has live trades cut by their id.
  const keepIds = window.standInPositions === true;
  const give = (item: StreamInterruption | unknown[]) => {
    if (keepIds && Array.isArray(item)) for (const trade of item) keepId(ids, tradeIdOf(trade));
    target.give(item);
  };
  let upTo = Number.NEGATIVE_INFINITY;
  let expired = false;
  // Where the replay stands: the next read's epoch and position, and the time of the last trade given.
  let epoch = cursor.epoch;
  let position = cursor.position;
  let at = cursor.at;
  for (let first = true; ; first = false) {
    const read = first ? await firstPage(window, topic, cursor, pageTrades) : await window.after(topic, epoch, position, pageTrades);
    if (read.status === 'unavailable') {
      // What follows is unknown until live: said from where the replay stands.
      give(new StreamInterruption(at, Math.max(at, now()), read.reason));
      return { upTo: Math.max(upTo, position), epoch, gaps, ids, expired: true, stopped: false };
    }
    if (read.status === 'expired') {
      expired = true;
      // The stream created again: positions of the old one say nothing of the new one's.
      if (read.epoch !== epoch) upTo = Number.NEGATIVE_INFINITY;
      epoch = read.epoch;
      give(new StreamInterruption(at, Math.max(at, read.oldestAt), 'CURSOR_EXPIRED'));
    } else if (first) upTo = cursor.position;
    const { items, last } = replayOf(window, topic, read.entries, first ? cursor : undefined);
    for (const item of items) {
      if (item instanceof StreamInterruption) {
        if (gaps.has(gapKey(item))) continue;
        gaps.add(gapKey(item));
      }
      give(item);
    }
    const trades = read.entries.filter((entry) => entry.kind === 'trade');
    upTo = Math.max(upTo, last);
    if (trades.length < pageTrades) return { upTo, epoch, gaps, ids, expired, stopped: false };
    position = last;
    at = trades.at(-1)?.at ?? at;
    if (!(await taken())) return { upTo, epoch, gaps, ids, expired, stopped: true };
  }
}
