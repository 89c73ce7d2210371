/**
 * Bounds what goes into a log line. An upstream frame or a client message can
 * be megabytes; a log line that quotes one keeps its start and says how much
 * was left out: `{"c":11,"dt":…(+48213 chars)`. For bytes (a WebSocket
 * frame as ws delivers it) only a bounded prefix is decoded, never the whole.
 */

/** The most characters of a string or frame that one log line quotes. */
export const LOG_MAX_FRAME_CHARS = 1024;

/** UTF-8 takes at most 4 bytes per character: this many bytes always hold `max` characters. */
const MAX_UTF8_BYTES_PER_CHAR = 4;

/** What a WebSocket message can be: text, or ws's `RawData` (a Buffer, an ArrayBuffer, or fragments). */
export type LoggableFrame = string | Uint8Array | ArrayBuffer | readonly Uint8Array[];

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  const end = max > 0 && /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** A string as it may be logged: itself when short enough, else its first `max` characters and `…(+N chars)`. */
export function truncateForLog(text: string, max: number = LOG_MAX_FRAME_CHARS): string {
  if (text.length <= max) return text;
  const kept = cut(text, max);
  return `${kept}…(+${text.length - kept.length} chars)`;
}

function byteLength(frame: Exclude<LoggableFrame, string>): number {
  if (frame instanceof ArrayBuffer) return frame.byteLength;
  if (frame instanceof Uint8Array) return frame.byteLength;
  return frame.reduce((sum, part) => sum + part.byteLength, 0);
}

/** The first `count` bytes of a frame, copying no more than that. */
function prefix(frame: Exclude<LoggableFrame, string>, count: number): Uint8Array {
  if (frame instanceof ArrayBuffer) return new Uint8Array(frame, 0, Math.min(count, frame.byteLength));
  if (frame instanceof Uint8Array) return frame.subarray(0, count);
  const out = new Uint8Array(Math.min(count, byteLength(frame)));
  let offset = 0;
  for (const part of frame) {
    if (offset >= out.length) break;
    const take = part.subarray(0, out.length - offset);
    out.set(take, offset);
    offset += take.length;
  }
  return out;
}

/**
 * A frame as it may be logged. Text is bounded like `truncateForLog`; bytes
 * are decoded as UTF-8 (malformed sequences become U+FFFD) from a bounded
 * prefix, and what is left out is counted in bytes: `…(+N bytes)`.
 */
export function frameForLog(frame: LoggableFrame, max: number = LOG_MAX_FRAME_CHARS): string {
  if (typeof frame === 'string') return truncateForLog(frame, max);
  const total = byteLength(frame);
  const head = prefix(frame, max * MAX_UTF8_BYTES_PER_CHAR);
  // stream: an incomplete character at the end of the prefix is held back, not decoded as U+FFFD.
  const text = new TextDecoder().decode(head, { stream: true });
  if (total <= head.length && text.length <= max) return text;
  const kept = cut(text, max);
  const keptBytes = new TextEncoder().encode(kept).length;
  return `${kept}…(+${total - keptBytes} bytes)`;
}
