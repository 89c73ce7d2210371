/**
 * Where a replay after a cursor begins. Normally right after the cursor's
 * position. In a cluster, a trade a replica served while the engine was away
 * (from its own upstream) had no stream sequence yet: its cursor carries the
 * last sequence that replica saw, and the trade reaches the stream later (the
 * holders' catch-up). Replaying from that position would repeat trades the
 * client had. So when the cursor's own trade turns up in what was read, with
 * nothing newer than it before it, the replay begins after it; a gap that
 * reaches past the cursor's time is kept (trades after it may be missing).
 * Anywhere else (a single process, a trade read from the stream) a trade's
 * id never comes after its own position, and nothing is cut. A read that
 * shows only older trades, none the cursor's own, does not decide it: the
 * replay reads on a page at a time to find it (`resume-pages.ts`).
 */
import { tradeIdOf, type Cursor } from './cursor.ts';
import type { WindowEntry } from './resume-window.ts';

/**
 * Where the seam is in `entries`: after the entry at an index (the cursor's own trade), at their start (no id, or
 * something newer than the cursor's trade comes first), or not decided by them (only older trades, none its own:
 * its own may come further on).
 */
export function findSeam(entries: readonly WindowEntry[], cursor: Cursor): number | 'start' | 'undecided' {
  if (cursor.id === undefined) return 'start';
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry === undefined || entry.kind !== 'trade') continue;
    // Something newer than the cursor's trade comes first: the position was the trade's own.
    if (entry.at > cursor.at) return 'start';
    if (tradeIdOf(entry.trade) === cursor.id) return i;
  }
  return 'undecided';
}

/** The gaps among `entries` (before the seam) that reach past the cursor's time: trades after it may be missing. */
export const gapsPast = (entries: readonly WindowEntry[], cursor: Cursor): WindowEntry[] =>
  entries.filter((e) => e.kind === 'gap' && e.until > cursor.at);

/** The entries a client resuming after `cursor` has not had, oldest first. */
export function afterSeam(entries: readonly WindowEntry[], cursor: Cursor): readonly WindowEntry[] {
  const seam = findSeam(entries, cursor);
  if (typeof seam !== 'number') return entries;
  return [...gapsPast(entries.slice(0, seam), cursor), ...entries.slice(seam + 1)];
}

/** Whether `entries` (a read that may stop short of the window's end) show where the seam is. */
export const seamDecided = (entries: readonly WindowEntry[], cursor: Cursor): boolean => findSeam(entries, cursor) !== 'undecided';
