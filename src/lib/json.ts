/**
 * Lossless JSON parsing for upstream frames.
 *
 * Coincall sends order ids larger than 2^53 as bare JSON numbers, which
 * `JSON.parse` silently rounds. Integers with more digits than a double holds
 * exactly are turned into strings before parsing, so no digit is ever lost.
 * The scan runs only when the text contains such a run of digits at all, so the
 * common frame (prices, 13-digit timestamps) costs one regex test.
 */

/** 2^53 has 16 digits: an integer literal of 16 or more digits might not survive a double. */
const UNSAFE_DIGITS = /\d{16}/;

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonLossless(text: string): unknown {
  return JSON.parse(UNSAFE_DIGITS.test(text) ? quoteUnsafeIntegers(text) : text);
}

/** Rewrites integer literals outside strings that exceed Number.MAX_SAFE_INTEGER as strings. */
function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
      continue;
    }
    if (ch === 0x22) {
      inString = true;
      continue;
    }
    const isStart = ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39);
    if (!isStart) continue;
    let end = i + 1;
    while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
    const literal = text.slice(i, end);
    if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
      out += `${text.slice(last, i)}"${literal}"`;
      last = end;
    }
    i = end - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function isNumberChar(ch: number): boolean {
  return (ch >= 0x30 && ch <= 0x39) || ch === 0x2e || ch === 0x65 || ch === 0x45 || ch === 0x2b || ch === 0x2d;
}
