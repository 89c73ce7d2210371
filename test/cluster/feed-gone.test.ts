/**
 * The watch that says a feed's stream gone (`feed-gone.ts`), on vitest's fake
 * clock: the first sign starts the grace, later ones do not extend it; the feed
 * reading again ends it, and a later loss is said again; said once per loss;
 * no timer left after the stop, and none keeps the process up.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FEED_GONE_GRACE_MS, watchGone } from '../../src/sources/cluster/feed-gone.ts';
import { ENGINE_UPKEEP_MS } from '../../src/sources/cluster/engine-upkeep.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('the watch of a feed whose stream may be gone', () => {
  it('outlasts the upkeep’s round that creates a stream again', () => {
    expect(FEED_GONE_GRACE_MS).toBeGreaterThan(2 * ENGINE_UPKEEP_MS);
  });

  it('says gone once the signs lasted the grace, with the last error; not before, not twice', () => {
    const said: unknown[] = [];
    const watch = watchGone({ graceMs: 1_000, onGone: (error) => said.push(error) });
    watch.missing('first');
    vi.advanceTimersByTime(600);
    watch.missing('second'); // does not start it again
    vi.advanceTimersByTime(399);
    expect(said).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['second']);
    watch.missing('third');
    vi.advanceTimersByTime(5_000);
    expect(said).toEqual(['second']);
  });

  it('ends the grace when the feed reads again, and says a later loss again (and each return after one said)', () => {
    const said: unknown[] = [];
    const watch = watchGone({ graceMs: 1_000, onGone: (error) => said.push(error), onBack: () => said.push('back') });
    watch.missing('lost');
    vi.advanceTimersByTime(900);
    watch.present();
    vi.advanceTimersByTime(5_000);
    expect(said).toEqual([]);
    watch.missing('lost again');
    vi.advanceTimersByTime(1_000);
    watch.present();
    watch.missing('and again');
    vi.advanceTimersByTime(1_000);
    watch.present();
    watch.present();
    expect(said).toEqual(['lost again', 'back', 'and again', 'back']);
  });

  it('leaves no timer after the stop, and its timer keeps nothing up', () => {
    const said: unknown[] = [];
    const watch = watchGone({ onGone: (error) => said.push(error) });
    watch.missing('lost');
    expect(vi.getTimerCount()).toBe(1);
    watch.stop();
    expect(vi.getTimerCount()).toBe(0);
    watch.missing('after the stop');
    vi.advanceTimersByTime(FEED_GONE_GRACE_MS * 2);
    expect(said).toEqual([]);
    vi.useRealTimers();
    const real = watchGone({ onGone: () => undefined });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    real.missing('lost');
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    real.stop();
  });
});
