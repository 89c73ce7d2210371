/**
 * Stream signals: values a subscriber's stream carries that are not data
 * (an interruption marker, a failure). Whatever transforms a stream (the
 * throttle) lets them through untouched, in order, after the data before them.
 * Markers extend `StreamSignal`; `isStreamSignal` recognises them.
 */

/** The base of every in-stream marker that is not data. */
export abstract class StreamSignal {}

/** Whether a streamed value is a signal rather than data. */
export const isStreamSignal = (value: unknown): value is StreamSignal => value instanceof StreamSignal;
