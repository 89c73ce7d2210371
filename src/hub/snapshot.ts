/**
 * How a query takes what a topic remembers for its Query twin
 * (`snapshot-memory.ts`).
 *
 * A query joins the topic like a subscriber (one upstream subscription for
 * queries and subscriptions alike), takes what the topic holds, or waits for
 * the first value at most `timeoutMs` (then UPSTREAM_TIMEOUT), and leaves: the
 * topic then lingers as after any subscriber.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { upstreamRejected, upstreamTimeout } from '../lib/errors.ts';
import type { Listener, TopicHandle } from './listener.ts';

/** Joins a topic for one query (`join` opens or shares it) and resolves with its memory's value. */
export function takeSnapshot(channel: AnyChannel, join: (listener: Listener) => TopicHandle, timeoutMs: number): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let handle: TopicHandle | undefined;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      handle?.release();
      settle();
    };
    const answer = () => {
      const memory = handle?.snapshot;
      if (memory === undefined) return finish(() => reject(new Error(`${channel.id} has no query twin`)));
      if (memory.kind === 'state' && !memory.filled) return;
      finish(() => resolve(memory.value()));
    };
    handle = join({
      deliver: () => answer(),
      fail: (error) => finish(() => reject(error)),
      end: () => finish(() => reject(upstreamRejected('The gateway is shutting down.'))),
    });
    if (done) return;
    timer = setTimeout(
      () => finish(() => reject(upstreamTimeout(`${channel.id}: no data arrived within ${timeoutMs} ms; try again.`))),
      timeoutMs,
    );
    // State needs a value; trades and positions are what arrived so far once the exchange answered.
    if (handle.snapshot === undefined || handle.snapshot.filled) answer();
    else if (handle.snapshot.kind !== 'state') handle.confirmed.then(answer, (error: unknown) => finish(() => reject(error)));
  });
}
