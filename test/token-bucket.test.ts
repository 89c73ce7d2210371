/**
 * The one token bucket (lib/token-bucket.ts) and the request pacer built on it,
 * in-process with a hand-driven clock and fake timers: the bucket gives its
 * burst, refills at its rate, queues reservations and says how long until the
 * next token; the pacer writes a burst at once, then one request per refill,
 * drops its queue when told, and reports when it has drained.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenBucket } from '../src/lib/token-bucket.ts';
import { createPacer, PACING_BURST, REQUEST_BUDGET_PER_SECOND } from '../src/sources/coincall/pacer.ts';

function manualClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('token bucket', () => {
  it('gives its burst, then one token per 1/rate seconds', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3, now: clock.now });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    clock.advance(99);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
  });

  it('never holds more than its burst, however long it rests', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ ratePerSecond: 1_000, burst: 2, now: clock.now });
    clock.advance(60_000);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it('says how long until the next token without taking it', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ ratePerSecond: 4, burst: 1, now: clock.now });
    expect(bucket.waitMs()).toBe(0);
    expect(bucket.waitMs()).toBe(0);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.waitMs()).toBe(250);
    clock.advance(100);
    expect(bucket.waitMs()).toBe(150);
    clock.advance(150);
    expect(bucket.tryTake()).toBe(true);
  });

  it('queues reservations behind each other, and a rate of 0 never refills', () => {
    const clock = manualClock();
    const paced = createTokenBucket({ ratePerSecond: 2, burst: 1, now: clock.now });
    expect([paced.reserve(), paced.reserve(), paced.reserve()]).toEqual([0, 500, 1_000]);
    const fixed = createTokenBucket({ ratePerSecond: 0, burst: 1, now: clock.now });
    expect(fixed.reserve()).toBe(0);
    expect(fixed.reserve()).toBe(Number.POSITIVE_INFINITY);
    expect(fixed.waitMs()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('request pacer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function pacer() {
    vi.useFakeTimers({ now: 1_000_000 });
    const written: string[] = [];
    let open = true;
    const p = createPacer({ now: Date.now, canWrite: () => open, write: (text) => written.push(text) });
    return { p, written, close: () => void (open = false) };
  }

  it('writes a burst at once, then stays within the per-second budget, and runs onWritten as each goes out', () => {
    const { p, written } = pacer();
    const confirmed: number[] = [];
    for (let i = 0; i < 200; i++) p.send(`r${i}`, () => confirmed.push(i));
    expect(written).toHaveLength(PACING_BURST);
    expect(confirmed).toEqual(written.map((_, i) => i));
    vi.advanceTimersByTime(999);
    expect(written.length).toBeLessThanOrEqual(REQUEST_BUDGET_PER_SECOND);
    expect(written.length).toBeGreaterThan(REQUEST_BUDGET_PER_SECOND - 5);
    vi.advanceTimersByTime(10_000);
    expect(written).toHaveLength(200);
    expect(written.slice(0, 3)).toEqual(['r0', 'r1', 'r2']);
  });

  it('drops its queue when cleared, and drains: the callback runs once the last request is written', () => {
    const { p, written } = pacer();
    for (let i = 0; i < 50; i++) p.send(`a${i}`);
    p.clear();
    vi.advanceTimersByTime(10_000);
    const afterClear = written.length;
    expect(afterClear).toBe(PACING_BURST);
    let drained = 0;
    for (let i = 0; i < 30; i++) p.send(`b${i}`);
    p.drain(() => drained++);
    expect(drained).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(written.slice(afterClear)).toHaveLength(30);
    expect(drained).toBe(1);
  });

  it('holds requests while there is no open socket to write to', () => {
    const { p, written, close } = pacer();
    close();
    p.send('held');
    vi.advanceTimersByTime(1_000);
    expect(written).toEqual([]);
  });
});
