/**
 * What one engine message carries: the decoded items of one upstream frame of
 * one topic and the frame's time. Read back as `unknown` and validated: the
 * engine is a boundary like any socket.
 *
 * A gap marker (`gap` set, no items): a trades topic's new holder found that
 * its first batch does not reach back to the last trade stored, and no other
 * holder was publishing: trades from `gap` until `ts` (epoch ms) may be missing.
 */

export interface Envelope {
  readonly items: readonly unknown[];
  readonly ts: number;
  /** A gap marker: since when trades may be missing (until `ts`). */
  readonly gap?: number;
}

export function encodeEnvelope(items: readonly unknown[], ts: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ items, ts }));
}

/** A gap marker: trades from `since` until `until` may be missing. */
export function encodeGap(since: number, until: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ items: [], ts: until, gap: since }));
}

/** The envelope in `data`, or undefined when it is not one (a foreign writer, a corrupt message). */
export function decodeEnvelope(data: Uint8Array): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('items' in parsed) || !('ts' in parsed)) return undefined;
  const { items, ts } = parsed;
  if (!Array.isArray(items) || typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
  const gap = 'gap' in parsed ? parsed.gap : undefined;
  if (typeof gap === 'number' && Number.isFinite(gap)) return { items, ts, gap };
  return { items, ts };
}
