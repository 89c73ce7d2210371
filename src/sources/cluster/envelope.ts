/**
 * What one engine message carries: the decoded items of one upstream frame of
 * one topic and the frame's time. Read back as `unknown` and validated: the
 * engine is a boundary like any socket.
 */

export interface Envelope {
  readonly items: readonly unknown[];
  readonly ts: number;
}

/** One codec each for every message (they keep no state between calls). */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeEnvelope(items: readonly unknown[], ts: number): Uint8Array {
  return encoder.encode(JSON.stringify({ items, ts }));
}

/** The envelope in `data`, or undefined when it is not one (a foreign writer, a corrupt message). */
export function decodeEnvelope(data: Uint8Array): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('items' in parsed) || !('ts' in parsed)) return undefined;
  const { items, ts } = parsed;
  if (!Array.isArray(items) || typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
  return { items, ts };
}
