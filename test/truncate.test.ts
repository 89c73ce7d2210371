/**
 * Log lines quote at most LOG_MAX_FRAME_CHARS of a string or frame, and say
 * how much they left out; short values pass unchanged.
 */
import { describe, expect, it } from 'vitest';
import { frameForLog, LOG_MAX_FRAME_CHARS, truncateForLog } from '../src/lib/truncate.ts';

describe('truncateForLog', () => {
  it('passes a string of at most the limit through unchanged', () => {
    expect(truncateForLog('{"c":11}')).toBe('{"c":11}');
    const exact = 'x'.repeat(LOG_MAX_FRAME_CHARS);
    expect(truncateForLog(exact)).toBe(exact);
  });

  it('keeps the first LOG_MAX_FRAME_CHARS characters of a longer one and counts the rest', () => {
    const long = 'a'.repeat(LOG_MAX_FRAME_CHARS) + 'b'.repeat(5000);
    expect(truncateForLog(long)).toBe(`${'a'.repeat(LOG_MAX_FRAME_CHARS)}…(+5000 chars)`);
  });

  it('takes another limit', () => {
    expect(truncateForLog('abcdefgh', 3)).toBe('abc…(+5 chars)');
  });

  it('never splits a surrogate pair: an emoji at the cut is left out whole', () => {
    expect(truncateForLog('ab😀cd', 3)).toBe('ab…(+4 chars)');
  });
});

describe('frameForLog', () => {
  const frame = JSON.stringify({ c: 20, dt: 6, d: { asks: 'x'.repeat(3000) } });

  it('bounds text frames like strings', () => {
    expect(frameForLog(frame)).toBe(truncateForLog(frame));
  });

  it('decodes a short binary frame whole', () => {
    expect(frameForLog(Buffer.from('{"c":11}'))).toBe('{"c":11}');
    expect(frameForLog(new TextEncoder().encode('{"c":11}').buffer)).toBe('{"c":11}');
  });

  it('decodes only a bounded prefix of a long binary frame and counts the rest in bytes', () => {
    const bytes = Buffer.from(frame);
    expect(frameForLog(bytes)).toBe(`${frame.slice(0, LOG_MAX_FRAME_CHARS)}…(+${bytes.length - LOG_MAX_FRAME_CHARS} bytes)`);
  });

  it('joins a fragmented frame (ws RawData as Buffer[]) before bounding it', () => {
    const parts = [Buffer.from(frame.slice(0, 10)), Buffer.from(frame.slice(10, 2000)), Buffer.from(frame.slice(2000))];
    expect(frameForLog(parts)).toBe(frameForLog(Buffer.from(frame)));
    expect(frameForLog([Buffer.from('{"c":'), Buffer.from('11}')])).toBe('{"c":11}');
  });

  it('counts multi-byte characters by their bytes and never cuts one in half', () => {
    const euros = Buffer.from('€'.repeat(10)); // 3 bytes each
    expect(frameForLog(euros, 4)).toBe('€€€€…(+18 bytes)');
  });
});
