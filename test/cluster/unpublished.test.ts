/**
 * A trades holder's failed publishes, kept for its next catch-up
 * (`sources/cluster/unpublished.ts`): sent again while the engine would still
 * drop a copy it stored after all, marked instead once too old; past the bound
 * the oldest are marked, never dropped; a catch-up that failed puts them back
 * with their own failure times.
 */
import { describe, expect, it } from 'vitest';
import { createUnpublished, RETRY_WITHIN_MS, UNPUBLISHED_KEPT } from '../../src/sources/cluster/unpublished.ts';

describe('failed publishes kept for the next catch-up', () => {
  it('are sent again while recent, marked once older than the retry limit, and taken once', () => {
    const kept = createUnpublished();
    kept.add(['old'], 0);
    kept.add(['a', 'b'], RETRY_WITHIN_MS);
    expect(kept.take(RETRY_WITHIN_MS + 1)).toEqual({ retry: ['a', 'b'], failedAt: [RETRY_WITHIN_MS, RETRY_WITHIN_MS], stale: ['old'] });
    expect(kept.take(RETRY_WITHIN_MS + 2)).toEqual({ retry: [], failedAt: [], stale: [] });
  });

  it('past the bound, mark the oldest instead of keeping them', () => {
    const kept = createUnpublished();
    kept.add(
      Array.from({ length: UNPUBLISHED_KEPT + 2 }, (_, i) => i),
      0,
    );
    const unsent = kept.take(1);
    expect(unsent.stale).toEqual([0, 1]);
    expect(unsent.retry).toHaveLength(UNPUBLISHED_KEPT);
  });

  it('put back after a failed catch-up keep their own failure times', () => {
    const kept = createUnpublished();
    kept.add(['a'], 0);
    kept.putBack(kept.take(1));
    expect(kept.take(RETRY_WITHIN_MS + 1)).toEqual({ retry: [], failedAt: [], stale: ['a'] });
  });
});
