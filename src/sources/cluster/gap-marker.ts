/**
 * A gap marker: a message on a trades topic's subject that is not a trade but
 * says "trades from `since` until `until` may be missing here, and why". A
 * holder publishes one where its own upstream missed trades that no other
 * publisher stored (`gap-report.ts`); every replica's reader turns it into
 * `STREAM_INTERRUPTED` at its place, and the stream keeps it, so a replay
 * across it (`stream-window.ts`) gives it again where it happened.
 *
 * The header names it (a trade message has none); the body says the times.
 * Read back as `unknown` and validated: the engine is a boundary.
 */
import type { MsgHdrs } from '@nats-io/transport-node';
import type { GapReason } from '../../hub/resume-window.ts';
import { decodeEnvelope, type Envelope } from './envelope.ts';

/** The header of a gap marker; its value is the reason. */
export const GAP_HEADER = 'Coincall-Gateway-Gap';

export interface GapMarker {
  readonly since: number;
  readonly until: number;
  readonly reason: GapReason;
}

/** One message of the trades stream as read back: trades, a gap marker, or neither (skipped, and said). */
export type StreamBody =
  { readonly envelope: Envelope; readonly gap?: undefined } | { readonly gap: GapMarker; readonly envelope?: undefined };

export function encodeGapMarker(gap: GapMarker): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ since: gap.since, until: gap.until }));
}

const isReason = (value: unknown): value is GapReason => value === 'UPSTREAM' || value === 'ENGINE';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The marker in a message whose gap header is `reason`; undefined when it is not one. */
export function decodeGapMarker(data: Uint8Array, reason: string): GapMarker | undefined {
  if (!isReason(reason)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('since' in parsed) || !('until' in parsed)) return undefined;
  const { since, until } = parsed;
  return isTime(since) && isTime(until) ? { since, until: Math.max(since, until), reason } : undefined;
}

/** What a stored message is, by its header and body. */
export function decodeStreamBody(data: Uint8Array, headers: MsgHdrs | undefined): StreamBody | undefined {
  const gapReason = headers?.has(GAP_HEADER) === true ? headers.get(GAP_HEADER) : undefined;
  if (gapReason !== undefined) {
    const gap = decodeGapMarker(data, gapReason);
    return gap === undefined ? undefined : { gap };
  }
  const envelope = decodeEnvelope(data);
  return envelope === undefined ? undefined : { envelope };
}
