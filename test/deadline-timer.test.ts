/**
 * A deadline further away than `setTimeout` can wait (2^31 - 1 ms, about 24.8
 * days) fires at the deadline, not at once: a JWT valid for a month must not
 * end its connections the moment they open.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atDeadline, MAX_TIMER_MS } from '../src/lib/deadline-timer.ts';

const DAY_MS = 24 * 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('atDeadline', () => {
  it('fires a deadline thirty days away after thirty days, not before', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    atDeadline(Date.now() + 30 * DAY_MS, fired);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY_MS - MAX_TIMER_MS - 2);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires at once for a deadline that has passed, and never once cleared', () => {
    vi.useFakeTimers();
    const late = vi.fn();
    atDeadline(Date.now() - 1_000, late);
    vi.advanceTimersByTime(0);
    expect(late).toHaveBeenCalledTimes(1);
    const cleared = vi.fn();
    atDeadline(Date.now() + 40 * DAY_MS, cleared).clear();
    vi.advanceTimersByTime(41 * DAY_MS);
    expect(cleared).not.toHaveBeenCalled();
  });
});
