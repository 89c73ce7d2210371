/**
 * The exchange's timestamp of the event an execution is turning into a
 * result, carried from the upstream frame to the socket write for the
 * delivery-latency metric.
 *
 * A subscription's source stream marks the frame `ts` of each value as the
 * execution takes it; the transport that writes the result takes the mark
 * (once: each result is observed once) and observes `write time - ts`. A
 * GraphQL execution pulls one source value at a time, so the mark a result
 * finds is the one of the value it was made of. Values that are not a fresh
 * exchange frame (a state channel's replayed latest value, a stream signal)
 * carry no mark and are not observed.
 *
 * The mark lives beside the execution's context object (a WeakMap), so
 * neither the context type nor the layers between source and transport have
 * to know about it.
 */

export class EventTime {
  #frameTs: number | undefined = undefined;

  /** The source handed on a value stamped `frameTs` (undefined: not a fresh exchange frame). */
  mark(frameTs: number | undefined): void {
    this.#frameTs = frameTs;
  }

  /** The latest mark, cleared: a result is observed once. */
  take(): number | undefined {
    const frameTs = this.#frameTs;
    this.#frameTs = undefined;
    return frameTs;
  }
}

const times = new WeakMap<object, EventTime>();

/** The event time of the execution whose context is `context`, created on first use. */
export function eventTimeFor(context: object): EventTime {
  let time = times.get(context);
  if (time === undefined) times.set(context, (time = new EventTime()));
  return time;
}

/** The event time of an execution's context, if its source marks one. */
export function eventTimeOf(context: unknown): EventTime | undefined {
  return typeof context === 'object' && context !== null ? times.get(context) : undefined;
}
