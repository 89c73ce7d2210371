/**
 * The engine hop's own latency: a holder stamps every message it publishes
 * with the time it took the value from its upstream (`HELD_AT_HEADER`, epoch
 * milliseconds with sub-millisecond digits); a reader that receives it live
 * subtracts that from its own clock. What it covers: the holder's wait to
 * publish (a state value behind the previous one's acknowledgement), the
 * publish, the engine storing it, the pull delivering it and the reader's
 * event loop reaching it; not the exchange, not the reader's fan-out.
 *
 * Clocks: on one machine both ends read the same clock; across machines the
 * difference includes the clocks' skew (a negative one is counted as 0).
 */
import type { MsgHdrs } from '@nats-io/transport-node';

/** The header with the time (epoch ms) the holder took the value from its upstream. */
export const HELD_AT_HEADER = 'Coincall-Gateway-Held-At';

/** Digits after the millisecond kept in the header (microseconds). */
const STAMP_DECIMALS = 3;

/** Wall-clock time in epoch milliseconds with sub-millisecond resolution (monotonic within the process). */
export function engineClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Stamps `headers` with `heldAt`. */
export function stampHeldAt(headers: MsgHdrs, heldAt: number): void {
  headers.set(HELD_AT_HEADER, heldAt.toFixed(STAMP_DECIMALS));
}

/** The stamp of a message, when it has a valid one. */
export function heldAtOf(headers: MsgHdrs | undefined): number | undefined {
  const text = headers?.has(HELD_AT_HEADER) === true ? headers.get(HELD_AT_HEADER) : undefined;
  if (text === undefined) return undefined;
  const at = Number(text);
  return Number.isFinite(at) && at > 0 ? at : undefined;
}

/**
 * The stamp of a message received live: one held at or after `since` (when
 * the feed opened). What a consumer replays from before that (a cursor, a
 * recreated consumer catching up) waited for the reader, not in the engine.
 */
export function liveHeldAt(headers: MsgHdrs | undefined, since: number): number | undefined {
  const at = heldAtOf(headers);
  return at !== undefined && at >= since ? at : undefined;
}

/** The hop in seconds from `heldAt` to `now` (0 when clock skew makes it negative). */
export function hopSeconds(heldAt: number, now: number = engineClock()): number {
  return Math.max(0, now - heldAt) / 1_000;
}
