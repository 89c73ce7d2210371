/**
 * How a query takes what a topic remembers for its Query twin
 * (`snapshot-memory.ts`).
 *
 * A query joins the topic like a subscriber (one upstream subscription for
 * queries and subscriptions alike), takes what the topic holds, or waits at
 * most `timeoutMs` (then UPSTREAM_TIMEOUT) for it: a state twin for its first
 * value, recent trades for the exchange's answer, positions for the complete
 * set (one full push period after the exchange answered: never the first
 * position or two of a push, nor an empty list the exchange did not mean).
 * Then it leaves: the topic lingers as after any subscriber.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { upstreamRejected, upstreamTimeout } from '../lib/errors.ts';
import type { Listener, TopicHandle } from './listener.ts';
import { POSITIONS_FULL_SET_MS } from './snapshot-memory.ts';

/** Joins a topic for one query (`join` opens or shares it) and resolves with its memory's value. */
export function takeSnapshot(channel: AnyChannel, join: (listener: Listener) => TopicHandle, timeoutMs: number): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let handle: TopicHandle | undefined;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let wake: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(wake);
      handle?.release();
      settle();
    };
    const answer = () => {
      const memory = handle?.snapshot;
      if (memory === undefined) return finish(() => reject(new Error(`${channel.id} has no query twin`)));
      if (memory.kind === 'state' && !memory.filled) return;
      finish(() => resolve(memory.value()));
    };
    // Positions: answered once the set is complete; until the exchange answers (again), an answer or an interruption wakes this.
    /** The `completeAt` the pending wake is for; the wake answers it (after at most one full period, whatever the source's clock says). */
    let armedFor: number | undefined;
    const whole = () => {
      const completeAt = handle?.snapshot?.completeAt;
      if (done || completeAt === undefined || armedFor === completeAt) return;
      const wait = Math.min(completeAt - Date.now(), POSITIONS_FULL_SET_MS);
      if (wait <= 0) return answer();
      clearTimeout(wake);
      armedFor = completeAt;
      wake = setTimeout(() => {
        // Not if the stream was cut meanwhile: then the next answer's set.
        if (handle?.snapshot?.completeAt === armedFor) return answer();
        armedFor = undefined;
        whole();
      }, wait);
    };
    const positions = channel.twin === 'latestBySymbol';
    handle = join({
      deliver: () => (positions ? whole() : answer()),
      interrupted: () => (positions ? whole() : undefined),
      fail: (error) => finish(() => reject(error)),
      end: () => finish(() => reject(upstreamRejected('The gateway is shutting down.'))),
    });
    if (done) return;
    const missing = positions ? "the account's complete positions did not arrive" : 'no data arrived';
    timer = setTimeout(
      () => finish(() => reject(upstreamTimeout(`${channel.id}: ${missing} within ${timeoutMs} ms; try again.`))),
      timeoutMs,
    );
    const settled = (next: () => void) => handle?.confirmed.then(next, (error: unknown) => finish(() => reject(error)));
    if (positions) {
      whole();
      settled(whole);
    } else if (handle.snapshot === undefined || handle.snapshot.filled) answer();
    // State needs a value; recent trades are what arrived so far once the exchange answered.
    else if (handle.snapshot.kind !== 'state') settled(answer);
  });
}
