/**
 * Per-subscriber delivery between a shared topic and one subscription: state
 * channels conflate to the latest value, event channels queue up to a bound
 * (lists merging at it) and then fail that one subscriber with SUBSCRIBER_TOO_SLOW, and leaving is
 * immediate even with a read pending; `taken()` tells a producer when the
 * subscriber took what was queued (or will take no more).
 */
import { describe, expect, it } from 'vitest';
import { createSink, MAX_MERGED_EVENT_ITEMS } from '../src/hub/sink.ts';

describe('a state subscriber', () => {
  it('gets only the latest value when it reads slower than values arrive', async () => {
    const sink = createSink<number>({ delivery: 'state' });
    for (let n = 1; n <= 1_000; n++) sink.push(n);
    await expect(sink.next()).resolves.toEqual({ value: 1_000, done: false });
  });
});

describe('an event subscriber', () => {
  it('keeps every event up to the bound, in order', async () => {
    const sink = createSink<number>({ delivery: 'event', queueLimit: 3 });
    sink.push(1);
    sink.push(2);
    sink.push(3);
    const read = [await sink.next(), await sink.next(), await sink.next()].map((r) => r.value);
    expect(read).toEqual([1, 2, 3]);
  });

  it('is dropped with SUBSCRIBER_TOO_SLOW past the bound, instead of growing without limit', async () => {
    let closed = 0;
    const sink = createSink<number>({ delivery: 'event', queueLimit: 3, onClose: () => closed++ });
    for (let n = 1; n <= 10; n++) sink.push(n);
    await expect(sink.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
    await expect(sink.next()).resolves.toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });

  it('ends with a last value instead of a rejection when failures are carried as values', async () => {
    const sink = createSink<number | string>({
      delivery: 'event',
      queueLimit: 1,
      failureValue: (e) => `failed: ${(e as { code?: string }).code}`,
    });
    sink.push(1);
    sink.push(2);
    await expect(sink.next()).resolves.toEqual({ value: 'failed: SUBSCRIBER_TOO_SLOW', done: false });
    await expect(sink.next()).resolves.toEqual({ value: undefined, done: true });
  });
});

describe('an event subscriber of lists (trades) at its bound', () => {
  it('gets the lists that came past the bound merged into the last queued one, newest first, none dropped', async () => {
    const sink = createSink<string[]>({ delivery: 'event', queueLimit: 2 });
    sink.push(['1']);
    sink.push(['3', '2']);
    sink.push(['4']);
    sink.push(['6', '5']);
    const read = [await sink.next(), await sink.next()].map((r) => r.value);
    expect(read).toEqual([['1'], ['6', '5', '4', '3', '2']]);
    sink.push(['7']);
    await expect(sink.next()).resolves.toEqual({ value: ['7'], done: false });
  });

  it('is dropped with SUBSCRIBER_TOO_SLOW once a merged list would pass its item bound', async () => {
    const sink = createSink<number[]>({ delivery: 'event', queueLimit: 1 });
    sink.push([0]);
    sink.push(Array.from({ length: MAX_MERGED_EVENT_ITEMS }, (_, i) => i));
    await expect(sink.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
  });
});

describe('leaving', () => {
  it('resolves a pending read at once and tells the topic once', async () => {
    let closed = 0;
    const sink = createSink<number>({ delivery: 'event', onClose: () => closed++ });
    const pending = sink.next();
    await sink.return();
    await sink.return();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    sink.push(1);
    await expect(sink.next()).resolves.toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });
});

describe('the frame time of each value taken (delivery latency)', () => {
  it('is told as the subscriber takes each value: the latest for a conflated state, the oldest part of a merged list, none for a value pushed without', async () => {
    const taken: Array<number | undefined> = [];
    const state = createSink<number>({ delivery: 'state', onTake: (ts) => taken.push(ts) });
    state.push(1, 100);
    state.push(2, 200);
    await state.next();
    state.push(3);
    await state.next();
    expect(taken).toEqual([200, undefined]);

    taken.length = 0;
    const events = createSink<number[]>({ delivery: 'event', queueLimit: 1, onTake: (ts) => taken.push(ts) });
    events.push([1], 100);
    events.push([2], 200);
    await expect(events.next()).resolves.toEqual({ value: [2, 1], done: false });
    expect(taken).toEqual([100]);
  });
});

describe('taken (a producer giving more only as the subscriber takes it)', () => {
  it('resolves true once the subscriber took everything queued, at once when nothing is', async () => {
    const sink = createSink<number>({ delivery: 'event' });
    await expect(sink.taken()).resolves.toBe(true);
    sink.push(1);
    sink.push(2);
    let taken: boolean | undefined;
    void sink.taken().then((t) => (taken = t));
    await sink.next();
    await Promise.resolve();
    expect(taken).toBeUndefined();
    await sink.next();
    await Promise.resolve();
    expect(taken).toBe(true);
  });

  it('resolves false once the sink takes no more: the subscriber left, the stream failed or ended', async () => {
    const left = createSink<number>({ delivery: 'event' });
    left.push(1);
    const leaving = left.taken();
    await left.return();
    await expect(leaving).resolves.toBe(false);
    await expect(left.taken()).resolves.toBe(false);

    const failed = createSink<number>({ delivery: 'event' });
    failed.push(1);
    const failing = failed.taken();
    failed.fail(new Error('gone'));
    await expect(failing).resolves.toBe(false);

    const tooSlow = createSink<number>({ delivery: 'event', queueLimit: 1 });
    tooSlow.push(1);
    const dropping = tooSlow.taken();
    tooSlow.push(2);
    await expect(dropping).resolves.toBe(false);

    const ended = createSink<number>({ delivery: 'event' });
    ended.end();
    await expect(ended.taken()).resolves.toBe(false);
  });
});
