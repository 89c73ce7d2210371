/**
 * What goes live during a resume's replay, held (`hub/live-hold.ts`): up to
 * the subscriber's queue limit as it came; at the bound lists merge into the
 * last held one (newest chunk first, as the sink merges), up to
 * MAX_MERGED_EVENT_ITEMS items; an interruption at the bound, or a list past
 * that, is refused (the caller drops the subscriber), never held without end.
 */
import { describe, expect, it } from 'vitest';
import { createLiveHold } from '../src/hub/live-hold.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { MAX_MERGED_EVENT_ITEMS } from '../src/hub/sink.ts';

describe('the live hold of a replaying subscriber', () => {
  it('holds up to its limit as it came, then merges lists into the last one, newest chunk first', () => {
    const hold = createLiveHold(2);
    const signal = new StreamInterruption(1, 2, 'UPSTREAM');
    expect(hold.hold({ signal })).toBe(true);
    expect(hold.hold({ event: [2, 1], frameTs: 10 })).toBe(true);
    expect(hold.hold({ event: [4, 3], frameTs: 11 })).toBe(true);
    expect(hold.hold({ event: [5], frameTs: 12 })).toBe(true);
    expect(hold.size).toBe(2);
    expect(hold.release()).toEqual([{ signal }, { event: [5, 4, 3, 2, 1], frameTs: 10 }]);
    expect(hold.size).toBe(0);
  });

  it('refuses an interruption at its limit, and a list that would pass the merged item bound', () => {
    const hold = createLiveHold(1);
    expect(hold.hold({ event: [1], frameTs: undefined })).toBe(true);
    expect(hold.hold({ signal: new StreamInterruption(1, 2, 'UPSTREAM') })).toBe(false);
    expect(hold.hold({ event: Array.from({ length: MAX_MERGED_EVENT_ITEMS }, (_, i) => i), frameTs: undefined })).toBe(false);
    expect(hold.release()).toEqual([{ event: [1], frameTs: undefined }]);
  });
});
