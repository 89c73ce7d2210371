/**
 * `throttleMs` semantics, in process with a hand-driven clock: state channels
 * get the first value at once and then the latest of each window at its end
 * (nothing when nothing changed), positions the latest per symbol, trades
 * every trade of the window in one list newest first; signals flush the
 * window and pass through in order; a slow reader gets merged messages.
 */
import { describe, expect, it } from 'vitest';
import type { ThrottlePolicy } from '../src/channels/channel.ts';
import { ALL_CHANNELS } from '../src/channels/registry.ts';
import { createSink } from '../src/hub/sink.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { throttle, type StartTimer } from '../src/hub/throttle.ts';

const WINDOW_MS = 1_000;

/** A clock that only moves when the test says so. */
function manualClock() {
  let now = 0;
  const timers = new Set<{ at: number; fire: () => void }>();
  const startTimer: StartTimer = (fire, ms) => {
    const timer = { at: now + ms, fire };
    timers.add(timer);
    return () => void timers.delete(timer);
  };
  return {
    startTimer,
    pending: () => timers.size,
    advance(ms: number) {
      now += ms;
      for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
        if (timer.at > now || !timers.has(timer)) continue;
        timers.delete(timer);
        timer.fire();
      }
    },
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A throttled stream over a sink the test pushes into, with everything it delivered so far. */
async function throttled(policy: ThrottlePolicy, options: { read?: boolean; maxWindowItems?: number } = {}) {
  const clock = manualClock();
  const sink = createSink<unknown>({ delivery: 'event', queueLimit: 100_000 });
  const stream = throttle(sink, {
    policy,
    windowMs: WINDOW_MS,
    startTimer: clock.startTimer,
    isSignal: (v) => v === 'failure-marker',
    ...(options.maxWindowItems === undefined ? {} : { maxWindowItems: options.maxWindowItems }),
  });
  const got: unknown[] = [];
  let done = false;
  const readAll = async () => {
    for (;;) {
      const step = await stream.next();
      if (step.done === true) break;
      got.push(step.value);
    }
    done = true;
  };
  if (options.read !== false) void readAll();
  return {
    clock,
    sink,
    stream,
    got,
    isDone: () => done,
    readAll,
    async push(...values: unknown[]) {
      for (const value of values) sink.push(value);
      await settle();
    },
    async advance(ms: number) {
      clock.advance(ms);
      await settle();
    },
  };
}

const trade = (id: string, timestamp: number) => ({ id, symbol: 'BTCUSD', timestamp });
const interrupted = () => new StreamInterruption(1_000, 2_000, 'UPSTREAM');

describe('a throttled state subscription', () => {
  it('gets the first value at once, then only the latest of each window at its end', async () => {
    const t = await throttled('latest');
    await t.push({ price: 1 });
    expect(t.got).toEqual([{ price: 1 }]);
    await t.push({ price: 2 }, { price: 3 }, { price: 4 });
    expect(t.got).toEqual([{ price: 1 }]);
    await t.advance(WINDOW_MS);
    expect(t.got).toEqual([{ price: 1 }, { price: 4 }]);
  });

  it('sends nothing at the end of a window in which nothing changed, and the next value at once again', async () => {
    const t = await throttled('latest');
    await t.push({ price: 1 });
    await t.advance(WINDOW_MS);
    await t.advance(WINDOW_MS);
    expect(t.got).toEqual([{ price: 1 }]);
    expect(t.clock.pending()).toBe(0);
    await t.push({ price: 2 });
    expect(t.got).toEqual([{ price: 1 }, { price: 2 }]);
  });

  it('sends at most one message per window while updates keep coming', async () => {
    const t = await throttled('latest');
    for (let n = 1; n <= 50; n++) {
      await t.push({ price: n });
      await t.advance(WINDOW_MS / 10);
    }
    // 5 s of updates every 100 ms: the first at once and one per elapsed window.
    expect(t.got.length).toBeLessThanOrEqual(6);
    expect(t.got.at(-1)).toEqual({ price: 50 });
  });
});

describe('throttled positions', () => {
  it('get the latest position of each symbol at the window end', async () => {
    const t = await throttled('latestBySymbol');
    await t.push({ symbol: 'A', qty: 1 });
    await t.push({ symbol: 'A', qty: 2 }, { symbol: 'B', qty: 1 }, { symbol: 'A', qty: 3 }, { symbol: 'B', qty: 2 });
    await t.advance(WINDOW_MS);
    expect(t.got).toEqual([
      { symbol: 'A', qty: 1 },
      { symbol: 'A', qty: 3 },
      { symbol: 'B', qty: 2 },
    ]);
  });
});

describe('throttled trades', () => {
  it('get every trade of the window in one list at its end, newest first, none dropped', async () => {
    const t = await throttled('concat');
    await t.push([trade('1', 10), trade('2', 11)], [trade('3', 12)], [trade('5', 14), trade('4', 13)]);
    expect(t.got).toEqual([]);
    await t.advance(WINDOW_MS);
    expect(t.got).toEqual([[trade('5', 14), trade('4', 13), trade('3', 12), trade('2', 11), trade('1', 10)]]);
  });

  it('send a full window early rather than hold an unbounded list', async () => {
    const t = await throttled('concat', { maxWindowItems: 3 });
    await t.push([trade('1', 1), trade('2', 2)], [trade('3', 3)], [trade('4', 4)]);
    expect(t.got).toEqual([[trade('3', 3), trade('2', 2), trade('1', 1)]]);
    await t.advance(WINDOW_MS);
    expect(t.got).toEqual([[trade('3', 3), trade('2', 2), trade('1', 1)], [trade('4', 4)]]);
  });

  it('merge windows a slow reader has not taken yet into one larger message', async () => {
    const t = await throttled('concat', { read: false });
    await t.push([trade('1', 1)]);
    await t.advance(WINDOW_MS);
    await t.push([trade('2', 2)]);
    await t.advance(WINDOW_MS);
    await expect(t.stream.next()).resolves.toEqual({ value: [trade('2', 2), trade('1', 1)], done: false });
  });
});

describe('signals in a throttled stream', () => {
  it('flush the open window first and then pass through untouched', async () => {
    const t = await throttled('concat');
    const signal = interrupted();
    await t.push([trade('1', 1)], signal, [trade('2', 2)]);
    expect(t.got).toEqual([[trade('1', 1)], signal]);
    await t.advance(WINDOW_MS);
    expect(t.got).toEqual([[trade('1', 1)], signal, [trade('2', 2)]]);
  });

  it('deliver a failure marker after the pending data, and the stream then ends', async () => {
    const t = await throttled('latest');
    await t.push({ price: 1 }, { price: 2 }, 'failure-marker');
    t.sink.end();
    await settle();
    expect(t.got).toEqual([{ price: 1 }, { price: 2 }, 'failure-marker']);
    expect(t.isDone()).toBe(true);
    expect(t.clock.pending()).toBe(0);
  });
});

describe('leaving a throttled stream', () => {
  it('resolves at once with a read pending, cancels its timer and leaves the source', async () => {
    const t = await throttled('latest', { read: false });
    await t.push({ price: 1 });
    await t.stream.next();
    await t.push({ price: 2 });
    expect(t.clock.pending()).toBe(1);
    const read = t.stream.next();
    await expect(t.stream.return?.()).resolves.toEqual({ value: undefined, done: true });
    await expect(read).resolves.toEqual({ value: undefined, done: true });
    expect(t.clock.pending()).toBe(0);
    expect(t.sink.closed).toBe(true);
  });
});

describe('which fields take throttleMs', () => {
  it('every channel except fills and orders, each with its merge policy', () => {
    const policies = Object.fromEntries(ALL_CHANNELS.map((c) => [c.id, c.throttle ?? null]));
    for (const channel of ALL_CHANNELS) expect('throttleMs' in channel.args, channel.id).toBe(channel.throttle !== undefined);
    expect(policies).toEqual({
      optionIndexPrice: 'latest',
      optionKline: 'latest',
      optionPricing: 'latest',
      optionChain: 'latest',
      optionOrderBook: 'latest',
      optionTrades: 'concat',
      accountBalance: 'latest',
      optionFills: null,
      optionOrders: null,
      optionPositions: 'latestBySymbol',
      futuresIndexPrice: 'latest',
      futuresKline: 'latest',
      futuresOrderBook: 'latest',
      futuresTrades: 'concat',
      futuresFills: null,
      futuresOrders: null,
      futuresPositions: 'latestBySymbol',
    });
  });
});
