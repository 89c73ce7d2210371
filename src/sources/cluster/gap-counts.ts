/**
 * What became of the trades gaps this replica judged (`gap-report.ts`), by
 * reason and result, since start: `UPSTREAM` from its holders (`holder.ts`),
 * `ENGINE` when a reader came back after serving alone (`engine-gaps.ts`: judged once the
 * holders had their chance to catch up; `covered` when the stream holds trades of that time),
 * and `behind` when a reader's feed fell behind the stream and told its
 * clients (`reader.ts`: nothing is marked in the stream; the gap is this
 * replica's own).
 * `failed` is a gap that could not be marked (the engine did not answer the
 * report): its trades may be missing with nothing in the stream saying so.
 * `status.cluster.gapMarkers` and `coincall_gateway_cluster_gap_markers_total` read it.
 */
import type { GapReason } from '../../hub/resume-window.ts';
import type { GapOutcome } from './gap-report.ts';

/** A judged gap's outcome, `behind` for a reader's own, or `failed` when it could not be marked. */
export type GapResult = GapOutcome | 'behind' | 'failed';

/** The `reason` label's values (every one present, 0 until counted). */
export const GAP_REASONS: readonly GapReason[] = ['UPSTREAM', 'ENGINE'];
/** The `outcome` label's values (every one present, 0 until counted). */
export const GAP_RESULTS: readonly GapResult[] = ['published', 'covered', 'said', 'behind', 'failed'];

export type GapMarkerCounts = Readonly<Record<GapReason, Readonly<Record<GapResult, number>>>>;

export interface GapCounts {
  count(reason: GapReason, result: GapResult): void;
  /** A copy of the counts now. */
  snapshot(): GapMarkerCounts;
}

const zero = (): Record<GapResult, number> => ({ published: 0, covered: 0, said: 0, behind: 0, failed: 0 });

export function createGapCounts(): GapCounts {
  const counts: Record<GapReason, Record<GapResult, number>> = { UPSTREAM: zero(), ENGINE: zero() };
  return {
    count: (reason, result) => void counts[reason][result]++,
    snapshot: () => ({ UPSTREAM: { ...counts.UPSTREAM }, ENGINE: { ...counts.ENGINE } }),
  };
}
