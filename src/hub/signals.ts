/**
 * In-band stream signals: values that travel through a subscriber's sink in
 * order with its events but are not events. The GraphQL resolve path turns
 * each into an error result; wrappers of the sink (the throttle) recognise
 * them with `isStreamSignal` and pass them through untouched, never merging,
 * filtering or delaying one behind later events.
 *
 * - `StreamInterruption`: an event stream has a gap: its upstream was
 *   interrupted (its connection dropped, or the topic was resubscribed), a
 *   resume cursor was older than the window, or the engine was away; events
 *   between `since` and `until` may be missing. The stream goes on. A Query
 *   twin tells one too (beside its page, or as its only answer): `toError`
 *   says it as that context's.
 * - `StreamFailure`: the stream failed for good; it is the last value.
 */
import { streamInterrupted, type GatewayError, type InterruptionReason } from '../lib/errors.ts';

/** Events from `since` until `until` (epoch ms) may be missing, and why (`reason`); the subscription continues. */
export class StreamInterruption {
  readonly since: number;
  readonly until: number;
  readonly reason: InterruptionReason;
  constructor(since: number, until: number, reason: InterruptionReason) {
    this.since = since;
    this.until = until;
    this.reason = reason;
  }

  /**
   * The error a client sees for it (`STREAM_INTERRUPTED`, with `since` and `until` as ISO strings, and `reason`),
   * told where it is (`InterruptionContext`: a subscription by default).
   */
  toError(context: InterruptionContext = 'subscription'): GatewayError {
    const since = new Date(this.since).toISOString();
    const until = new Date(this.until).toISOString();
    const what = EXPLANATIONS[this.reason];
    const next = context === 'query' ? QUERY_ANSWERS_NONE[this.reason] : AFTERWARDS[context];
    return streamInterrupted(`${what} from ${since} until ${until}; events of that time may be missing. ${next}`, {
      since,
      until,
      reason: this.reason,
    });
  }
}

/**
 * Where an interruption is told: in a subscription (it goes on), beside a Query twin's page (its trades are in
 * `data`), or as a Query twin's only answer (no trades).
 */
export type InterruptionContext = 'subscription' | 'page' | 'query';

/** What follows the signal, said at the message's end. */
const AFTERWARDS: Readonly<Record<Exclude<InterruptionContext, 'query'>, string>> = {
  subscription: 'The subscription continues.',
  page: 'The trades of the page are in `data`.',
};

/** What a Query twin that answers no trades for it says, by reason. */
const QUERY_ANSWERS_NONE: Readonly<Record<InterruptionReason, string>> = {
  UPSTREAM: 'The query answers no trades; ask again.',
  CURSOR_EXPIRED: 'The query answers no trades: ask without `after` for the newest retained ones.',
  ENGINE: 'The query answers no trades; ask again once the engine is back.',
};

/** How each reason reads in the error's message. */
const EXPLANATIONS: Readonly<Record<InterruptionReason, string>> = {
  UPSTREAM: 'The upstream stream was interrupted',
  CURSOR_EXPIRED: 'The cursor is older than the trades the gateway retains: trades are gone',
  ENGINE: "The cluster's engine was unreachable",
};

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
