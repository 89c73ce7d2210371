/**
 * The verdict of a probe: the source re-subscribed an event topic that went
 * quiet on a live connection, and the exchange answered with its batch of
 * recent items (its first `lastTrade` frame after a subscribe). Compared with
 * what the topic delivered (its replay filter remembers the recent ids):
 *
 * - nothing new: a quiet market; nothing to say, nothing delivered;
 * - new items, and some of the batch already delivered: the topic was dead,
 *   but the batch reaches back to what was delivered, so the new ones are all
 *   the missed ones: they are delivered, with no signal;
 * - new items only: the batch does not reach back, some may be lost: a
 *   `StreamInterruption` (since the last delivery) goes first, then the items.
 *
 * A trades topic opened again while the resume window still holds its trades
 * (it lingered out: its last subscriber left, then came back within the
 * window) is judged the same way, against what the window retained (its replay
 * filter is seeded with it): `since` is then the time the topic was closed, so
 * the time nobody listened is a gap only when the batch does not reach back.
 */
import type { ReplayFilter } from './replay-filter.ts';
import { StreamInterruption } from './signals.ts';
import type { ProbeVerdict } from './source-port.ts';

/** The probe's batch must arrive within this long of the answer; later, the probe lapses (a quiet market). */
export const PROBE_WINDOW_MS = 10_000;

/** A probe under way: `openedAt` once the source answered the re-subscribe, `since` the last sign of life before it. */
export interface Probe {
  readonly report: (verdict: ProbeVerdict) => void;
  readonly openedAt: number | undefined;
  readonly since: number | undefined;
  /** The topic was opened again within the window (`since`: when it was closed), not re-subscribed because it went quiet. */
  readonly reopened?: boolean;
  /** Reopened, then cut before its batch: since when the listeners that joined meanwhile (not only those resuming) may miss trades. */
  readonly droppedAt?: number;
}

const sizeOf = (event: unknown): number => (Array.isArray(event) ? event.length : 1);

/** Judges the probe's first frame (`events`, before replays are dropped): what to deliver, and the signal to give first. */
export function judgeProbe(
  probe: Probe,
  events: readonly unknown[],
  replays: ReplayFilter,
  at: number,
): { readonly events: unknown[]; readonly signal: StreamInterruption | undefined } {
  let total = 0;
  let missed = 0;
  const kept: unknown[] = [];
  for (const event of events) {
    total += sizeOf(event);
    const fresh = replays.pass(event, at);
    if (fresh === null) continue;
    missed += sizeOf(fresh);
    kept.push(fresh);
  }
  if (missed === 0) return { events: kept, signal: undefined };
  const gap = missed === total;
  probe.report({ missed, gap });
  const since = probe.since ?? at;
  return { events: kept, signal: gap ? new StreamInterruption(since, Math.max(since, at), 'UPSTREAM') : undefined };
}
