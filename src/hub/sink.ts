/**
 * Per-subscriber delivery: the bounded hand-over between the shared topic
 * (which pushes) and one GraphQL subscription (which pulls).
 *
 * - state channels conflate: a slow subscriber gets the latest value, never a backlog;
 * - event channels queue up to a bound; at the bound a list event (trades)
 *   merges into the last queued list (newest first, up to
 *   `MAX_MERGED_EVENT_ITEMS` items), anything else fails that one subscriber
 *   with a clear error (SUBSCRIBER_TOO_SLOW).
 *
 * `return()` resolves at once, even with a `next()` pending (which then ends).
 * `taken()` says when the consumer has taken everything queued, so a producer
 * with more to give (a resume's replay, page by page) pushes the next part
 * only as the consumer takes the last.
 */
import { subscriberTooSlow } from '../lib/errors.ts';
import type { Delivery } from '../channels/channel.ts';

export type { Delivery };

/** Events an event-channel subscriber may fall behind by before it is dropped. */
export const DEFAULT_EVENT_QUEUE_LIMIT = 1_000;
/** Items one merged list event (at the queue's bound) may hold before the subscriber is dropped. */
export const MAX_MERGED_EVENT_ITEMS = 100_000;

export interface Sink<E> extends AsyncIterableIterator<E> {
  /** Queues `event`, from an exchange frame stamped `frameTs` if it is one (see `onTake`). */
  push(event: E, frameTs?: number): void;
  /** Ends the stream with an error (delivered after what is already queued). */
  fail(error: Error): void;
  /** Ends the stream normally. */
  end(): void;
  readonly closed: boolean;
  /**
   * Resolves true once the consumer has taken every value queued so far (at
   * once when none is), false as soon as the sink takes no more values (the
   * consumer left, or the stream ended or failed).
   */
  taken(): Promise<boolean>;
  /** Leaves: resolves at once, ending a pending `next()`. */
  return(): Promise<IteratorResult<E>>;
}

export interface SinkOptions<E> {
  readonly delivery: Delivery;
  readonly queueLimit?: number;
  /** Called once when the consumer stops (return) or the stream ends. */
  readonly onClose?: () => void;
  /**
   * When set, a failure is delivered as a last value (after what is queued)
   * and the stream then ends, instead of rejecting `next()`. GraphQL uses it
   * to turn a mid-stream failure into a final result with errors.
   */
  readonly failureValue?: (error: Error) => E;
  /**
   * Called as the consumer takes each value, with the frame `ts` it was pushed
   * with (a merged list: its oldest part's); undefined for values pushed without.
   */
  readonly onTake?: (frameTs: number | undefined) => void;
}

export function createSink<E>(options: SinkOptions<E>): Sink<E> {
  const limit = options.delivery === 'state' ? 1 : (options.queueLimit ?? DEFAULT_EVENT_QUEUE_LIMIT);
  const queue: E[] = [];
  // The frame `ts` of each queued value, in step with `queue`.
  const stamps: Array<number | undefined> = [];
  // Lists merged into a queued list event at the bound: its chunks, oldest first, and their item count.
  const merges = new Map<E, { chunks: unknown[][]; count: number }>();
  /** Merges a list event into the last queued list; false when it cannot (not lists, or too many items). */
  const merge = (event: E): boolean => {
    const last = queue.at(-1);
    if (!Array.isArray(event) || !Array.isArray(last)) return false;
    const merged = merges.get(last) ?? { chunks: [last], count: last.length };
    if (merged.count + event.length > MAX_MERGED_EVENT_ITEMS) return false;
    merged.chunks.push(event);
    merged.count += event.length;
    merges.set(last, merged);
    return true;
  };
  // Producers waiting for the queue to be taken (`taken()`).
  let takers: Array<(taken: boolean) => void> = [];
  const tell = (taken: boolean) => {
    const waiting = takers;
    takers = [];
    for (const resolve of waiting) resolve(taken);
  };
  const take = (): E => {
    const value = queue.shift() as E;
    const frameTs = stamps.shift();
    options.onTake?.(frameTs);
    if (queue.length === 0) tell(true);
    const merged = merges.get(value);
    if (merged === undefined) return value;
    merges.delete(value);
    // An array event's merged form is an array of the same items: newest chunk first.
    const items: unknown = merged.chunks.reverse().flat();
    return items as E;
  };
  let waiter: ((result: IteratorResult<E>) => void) | undefined;
  let failWaiter: ((error: Error) => void) | undefined;
  let error: Error | undefined;
  let ended = false;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose?.();
  };
  const settle = (): Promise<IteratorResult<E>> | undefined => {
    if (queue.length > 0) return Promise.resolve({ value: take(), done: false });
    if (error !== undefined) {
      const e = error;
      error = undefined;
      ended = true;
      close();
      if (options.failureValue !== undefined) {
        options.onTake?.(undefined);
        return Promise.resolve({ value: options.failureValue(e), done: false });
      }
      return Promise.reject(e);
    }
    if (ended) {
      close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return undefined;
  };
  const wake = () => {
    if (waiter === undefined) return;
    const resolve = waiter;
    const reject = failWaiter;
    waiter = undefined;
    failWaiter = undefined;
    const next = settle();
    next?.then(resolve, reject);
  };

  const sink: Sink<E> = {
    get closed() {
      return closed;
    },
    push(event, frameTs) {
      if (ended || error !== undefined) return;
      if (queue.length >= limit) {
        if (options.delivery === 'state') {
          queue.length = 0;
          stamps.length = 0;
        } else if (merge(event)) return;
        else {
          queue.length = 0;
          stamps.length = 0;
          merges.clear();
          error = subscriberTooSlow(`The subscriber fell more than ${limit} events behind and was dropped; resubscribe to continue.`);
          tell(false);
          wake();
          return;
        }
      }
      queue.push(event);
      stamps.push(frameTs);
      wake();
    },
    fail(e) {
      if (ended || error !== undefined) return;
      error = e;
      tell(false);
      wake();
    },
    end() {
      ended = true;
      tell(false);
      wake();
    },
    taken() {
      if (ended || error !== undefined || closed) return Promise.resolve(false);
      if (queue.length === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => takers.push(resolve));
    },
    next() {
      const ready = settle();
      if (ready !== undefined) return ready;
      return new Promise<IteratorResult<E>>((resolve, reject) => {
        waiter = resolve;
        failWaiter = reject;
      });
    },
    return() {
      ended = true;
      queue.length = 0;
      stamps.length = 0;
      merges.clear();
      error = undefined;
      const pending = waiter;
      waiter = undefined;
      failWaiter = undefined;
      pending?.({ value: undefined, done: true });
      tell(false);
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw() {
      return sink.return();
    },
    [Symbol.asyncIterator]() {
      return sink;
    },
  };
  return sink;
}
