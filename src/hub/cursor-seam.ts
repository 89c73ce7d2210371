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
 * id never comes after its own position, and nothing is cut.
 */
import { tradeIdOf, type Cursor } from './cursor.ts';
import type { WindowEntry } from './resume-window.ts';

/** The entries a client resuming after `cursor` has not had, oldest first. */
export function afterSeam(entries: readonly WindowEntry[], cursor: Cursor): readonly WindowEntry[] {
  if (cursor.id === undefined) return entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry === undefined || entry.kind !== 'trade') continue;
    // Something newer than the cursor's trade comes first: the position was the trade's own.
    if (entry.at > cursor.at) return entries;
    if (tradeIdOf(entry.trade) !== cursor.id) continue;
    const gaps = entries.slice(0, i).filter((e) => e.kind === 'gap' && e.until > cursor.at);
    return [...gaps, ...entries.slice(i + 1)];
  }
  return entries;
}
