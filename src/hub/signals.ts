/**
 * In-band stream signals: values that travel through a subscriber's sink in
 * order with its events but are not events. The GraphQL resolve path turns
 * each into an error result; wrappers of the sink (the throttle) recognise
 * them with `isStreamSignal` and pass them through untouched, never merging,
 * filtering or delaying one behind later events.
 *
 * - `StreamInterruption`: the upstream stream of an event topic was
 *   interrupted (its connection dropped, or the topic was resubscribed);
 *   events between `since` and `until` may be missing. The stream goes on.
 * - `StreamFailure`: the stream failed for good; it is the last value.
 */
import { streamInterrupted, type GatewayError } from '../lib/errors.ts';

/** The upstream stream was interrupted from `since` until `until` (epoch ms); the subscription continues. */
export class StreamInterruption {
  readonly since: number;
  readonly until: number;
  constructor(since: number, until: number) {
    this.since = since;
    this.until = until;
  }

  /** The error a client sees for it (`STREAM_INTERRUPTED`, with `since` and `until` as ISO strings). */
  toError(): GatewayError {
    const since = new Date(this.since).toISOString();
    const until = new Date(this.until).toISOString();
    return streamInterrupted(
      `The upstream stream was interrupted from ${since} until ${until}; events of that time may be missing. The subscription continues.`,
      { since, until },
    );
  }
}

/** The stream failed for good with `error`; it is the stream's last value. */
export class StreamFailure {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
}

export type StreamSignal = StreamInterruption | StreamFailure;

/** Whether a value in a sink is a signal (to pass through as is) rather than an event. */
export function isStreamSignal(value: unknown): value is StreamSignal {
  return value instanceof StreamInterruption || value instanceof StreamFailure;
}
