/**
 * `throttleMs`: a timer-driven window over one subscription's event stream.
 *
 * It reads its source (the subscriber's sink) as fast as values come and
 * hands on at most one message per window, merged by the channel's policy:
 * - `latest` (state channels): the first value at once, then, at the end of a
 *   window in which something arrived, the latest value (nothing when nothing did);
 * - `latestBySymbol` (positions): the same, keeping the latest value of each symbol;
 * - `concat` (trades): every item of every list of the window in one list at
 *   its end, newest first; nothing is dropped (a window that reaches
 *   `THROTTLE_MAX_WINDOW_ITEMS` items goes out early rather than grow).
 * Stream signals (`signals.ts`, or what `isSignal` recognises) flush the open
 * window first and then pass through untouched, so their order with data holds.
 * So do a resume's replayed batches (`replayed.ts`): a replay comes oldest
 * first, in its own messages, whatever `throttleMs`; live trades after it are
 * windowed as above.
 * When the reader lags, what is already waiting for it merges with the next
 * window, so a slow reader gets fewer, larger messages, never a backlog.
 *
 * On graphql-ws one shared execution serves every identical subscription, so
 * their throttle (one timer) is shared too. `return()` resolves at once.
 */
import type { ThrottlePolicy } from '../channels/channel.ts';
import { isReplayed } from './replayed.ts';
import { isStreamSignal } from './signals.ts';

/** The most items a `concat` window holds before it goes out early. */
export const THROTTLE_MAX_WINDOW_ITEMS = 10_000;

/** Starts a timer; returns its cancel function. Injectable for tests. */
export type StartTimer = (fire: () => void, ms: number) => () => void;

const realTimer: StartTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

export interface ThrottleOptions {
  readonly policy: ThrottlePolicy;
  readonly windowMs: number;
  /** Values besides `StreamSignal`s that pass through untouched (e.g. GraphQL's failure marker). */
  readonly isSignal?: (value: unknown) => boolean;
  readonly startTimer?: StartTimer;
  readonly maxWindowItems?: number;
}

/** What one window gathered, merged by its policy. */
interface Window {
  add(value: unknown): void;
  /** Merges a later window into this one (both not yet delivered). */
  absorb(later: Window): void;
  size(): number;
  /** The messages the window delivers. */
  values(): unknown[];
}

const symbolOf = (value: unknown): string =>
  typeof value === 'object' && value !== null && 'symbol' in value && typeof value.symbol === 'string' ? value.symbol : '';

const timeOf = (value: unknown): number =>
  typeof value === 'object' && value !== null && 'timestamp' in value && typeof value.timestamp === 'number' ? value.timestamp : 0;

function latestWindow(): Window {
  let latest: unknown;
  let filled = false;
  const window: Window = {
    add(value) {
      latest = value;
      filled = true;
    },
    absorb: (later) => later.values().forEach(window.add),
    size: () => (filled ? 1 : 0),
    values: () => (filled ? [latest] : []),
  };
  return window;
}

function bySymbolWindow(): Window {
  const latest = new Map<string, unknown>();
  const window: Window = {
    add: (value) => void latest.set(symbolOf(value), value),
    absorb: (later) => later.values().forEach(window.add),
    size: () => latest.size,
    values: () => [...latest.values()],
  };
  return window;
}

function concatWindow(): Window {
  // Lists in arrival order; flattened newest first on delivery.
  const lists: unknown[][] = [];
  let count = 0;
  const window: Window = {
    add(value) {
      const items = Array.isArray(value) ? value : [value];
      lists.push(items);
      count += items.length;
    },
    absorb: (later) => later.values().forEach(window.add),
    size: () => count,
    values() {
      if (count === 0) return [];
      const newestFirst = lists.reverse().flat();
      lists.length = 0;
      lists.push(newestFirst);
      // Stable: items of equal time keep their (newest list first) order.
      return [newestFirst.sort((a, b) => timeOf(b) - timeOf(a))];
    },
  };
  return window;
}

const WINDOWS: Readonly<Record<ThrottlePolicy, () => Window>> = {
  latest: latestWindow,
  latestBySymbol: bySymbolWindow,
  concat: concatWindow,
};

type Entry = { readonly signal: true; readonly value: unknown } | { readonly signal: false; readonly window: Window };

/** Wraps `source` so that it yields at most one merged message per `windowMs` (see the module comment). */
export function throttle(source: AsyncIterator<unknown>, options: ThrottleOptions): AsyncIterableIterator<unknown> {
  const startTimer = options.startTimer ?? realTimer;
  const maxItems = options.maxWindowItems ?? THROTTLE_MAX_WINDOW_ITEMS;
  const isSignal = (value: unknown) => isStreamSignal(value) || isReplayed(value) || (options.isSignal?.(value) ?? false);
  const newWindow = WINDOWS[options.policy];
  // State policies send the first value at once; `concat` sends a window's items at its end.
  const leading = options.policy !== 'concat';

  let pending: Window | undefined;
  let cancelTimer: (() => void) | undefined;
  const entries: Entry[] = [];
  const ready: unknown[] = [];
  let ended = false;
  let failure: { readonly error: unknown } | undefined;
  let closed = false;
  let waiter: (() => void) | undefined;

  const wake = () => {
    const resolve = waiter;
    waiter = undefined;
    resolve?.();
  };
  const enqueue = (window: Window) => {
    const last = entries.at(-1);
    if (last !== undefined && !last.signal) last.window.absorb(window);
    else entries.push({ signal: false, window });
    wake();
  };
  const flush = () => {
    if (pending === undefined) return;
    const window = pending;
    pending = undefined;
    enqueue(window);
  };
  const openWindow = () => {
    cancelTimer = startTimer(() => {
      cancelTimer = undefined;
      if (closed || pending === undefined) return;
      flush();
      openWindow();
    }, options.windowMs);
  };

  const onValue = (value: unknown) => {
    if (isSignal(value)) {
      flush();
      entries.push({ signal: true, value });
      wake();
      return;
    }
    if (cancelTimer === undefined && leading) {
      const first = newWindow();
      first.add(value);
      enqueue(first);
      openWindow();
      return;
    }
    (pending ??= newWindow()).add(value);
    if (cancelTimer === undefined) openWindow();
    if (pending.size() >= maxItems) flush();
  };

  void (async () => {
    try {
      for (;;) {
        const step = await source.next();
        if (closed) return;
        if (step.done === true) break;
        onValue(step.value);
      }
      flush();
      ended = true;
    } catch (error) {
      flush();
      failure = { error };
    } finally {
      cancelTimer?.();
      cancelTimer = undefined;
      wake();
    }
  })();

  const finished = (): IteratorResult<unknown> => ({ value: undefined, done: true });
  const iterator: AsyncIterableIterator<unknown> = {
    async next() {
      for (;;) {
        if (closed) return finished();
        if (ready.length > 0) return { value: ready.shift(), done: false };
        const entry = entries.shift();
        if (entry !== undefined) {
          if (entry.signal) return { value: entry.value, done: false };
          ready.push(...entry.window.values());
          continue;
        }
        if (failure !== undefined) {
          closed = true;
          throw failure.error;
        }
        if (ended) {
          closed = true;
          return finished();
        }
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
    },
    async return() {
      if (!closed) {
        closed = true;
        cancelTimer?.();
        cancelTimer = undefined;
        entries.length = 0;
        ready.length = 0;
        pending = undefined;
        wake();
        void source.return?.();
      }
      return finished();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
