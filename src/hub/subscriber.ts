/**
 * One subscriber attached to a topic: the bounded sink it pulls from, the
 * listener that filters each shared event for it (the only per-subscriber
 * work on the hot path), and its `ready` promise.
 *
 * A late subscriber of a state channel gets the topic's latest event at once.
 * `ready` resolves when the source confirmed the topic (or at once when the
 * topic already has data), or after `ackWaitMs` without an answer (it then
 * proceeds anyway); it rejects with the source's refusal.
 */
import type { AnyChannel } from '../channels/channel.ts';
import type { Listener, TopicHandle } from './listener.ts';
import { createSink, type Sink } from './sink.ts';

/** How long a subscribe waits for the source's acknowledgement (or first data) before it proceeds anyway. */
export const DEFAULT_ACK_WAIT_MS = 1_500;

export interface Subscription<E = unknown> {
  /** The subscriber's filtered events. `return()` leaves the topic. */
  readonly events: Sink<E>;
  /** Resolves when the subscription is confirmed (or presumed so); rejects with the exchange's refusal. */
  readonly ready: Promise<void>;
}

export interface AttachOptions {
  readonly ackWaitMs?: number;
  readonly eventQueueLimit?: number;
  /** Turns a mid-stream failure into a last value (see SinkOptions.failureValue). */
  readonly failureValue?: (error: Error) => unknown;
  /** Called as the subscriber takes each value, with its exchange frame `ts` (undefined for a replayed value or a signal). */
  readonly onTake?: (frameTs: number | undefined) => void;
}

/** Joins the topic of `channel` for `args` (`join` opens or shares it) for one subscriber. */
export function attachSubscriber(
  join: (listener: Listener) => TopicHandle,
  channel: AnyChannel,
  args: unknown,
  options: AttachOptions,
): Subscription {
  let release = () => undefined as void;
  const sink = createSink<unknown>({
    delivery: channel.delivery,
    ...(options.eventQueueLimit === undefined ? {} : { queueLimit: options.eventQueueLimit }),
    onClose: () => release(),
    ...(options.onTake === undefined ? {} : { onTake: options.onTake }),
    ...(options.failureValue === undefined ? {} : { failureValue: options.failureValue }),
  });
  const handle = join({
    deliver(event, frameTs) {
      const view = channel.filter(event, args);
      if (view !== null) sink.push(view, frameTs);
    },
    interrupted: (signal) => sink.push(signal),
    fail: (error) => sink.fail(error),
    end: () => sink.end(),
  });
  release = () => handle.release();
  // The latest value, replayed: not a fresh frame, so it carries no frame time.
  if (handle.last !== undefined) {
    const view = channel.filter(handle.last, args);
    if (view !== null) sink.push(view);
  }
  const ready = readiness(handle, options.ackWaitMs);
  return { events: sink, ready };
}

/** Resolves when the topic is confirmed (at once when it has data), or after `ackWaitMs` anyway; rejects with the source's refusal. */
export function readiness(handle: TopicHandle, ackWaitMs: number | undefined): Promise<void> {
  const ready =
    handle.last !== undefined
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
          handle.confirmed.then(
            () => {
              clearTimeout(timer);
              resolve();
            },
            (error: unknown) => {
              clearTimeout(timer);
              reject(error);
            },
          );
        });
  ready.catch(() => undefined);
  return ready;
}
