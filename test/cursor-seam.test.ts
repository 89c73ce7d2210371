/**
 * A cursor of a trade a replica served while the engine was away: its
 * position is only the last stream sequence that replica saw, and the trade
 * reaches the stream later (the holders' catch-up). A resume after it begins
 * after the trade itself, so the client gets none of what it had again; a gap
 * past the cursor's time still reaches it; an exact position is never cut.
 */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, type Cursor } from '../src/hub/cursor.ts';
import { afterSeam } from '../src/hub/cursor-seam.ts';
import { replayOf } from '../src/hub/resume-pages.ts';
import type { ResumeWindow, WindowEntry } from '../src/hub/resume-window.ts';
import { createMemoryWindow } from '../src/hub/memory-window.ts';

const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const T0 = 1_700_000_000_000;
const trade = (n: number) => ({ id: `BTCUSD|${T0 + n}|${60_000 + n}|0.1|BUY|0`, price: String(60_000 + n), timestamp: T0 + n });
const entry = (position: number, n: number): WindowEntry => ({ kind: 'trade', position, at: trade(n).timestamp, trade: trade(n) });
const gap = (position: number, since: number, until: number): WindowEntry => ({
  kind: 'gap',
  position,
  since: T0 + since,
  until: T0 + until,
  reason: 'UPSTREAM',
});
const ids = (entries: readonly WindowEntry[]) =>
  entries.map((e) => (e.kind === 'trade' ? trade(e.at - T0).id : `gap ${e.since - T0}..${e.until - T0}`));

/** The cursor a replica serving alone stamped on trade `n`: the position of the last engine message it saw. */
const servedAlone = (n: number, lastSeen: number): Cursor => ({
  topic: TOPIC,
  epoch: 'stream.1',
  position: lastSeen,
  at: trade(n).timestamp,
  id: trade(n).id,
});

describe('where a replay after a cursor begins', () => {
  it('after the cursor’s own trade when it comes later in the stream than the position says', () => {
    // Trades 3..5 were served alone (cursor of 5 says position 2); the catch-up stored them at 10..12, then 6 and 7 followed.
    const read = [entry(10, 3), entry(11, 4), entry(12, 5), entry(13, 6), entry(14, 7)];
    expect(ids(afterSeam(read, servedAlone(5, 2)))).toEqual([trade(6).id, trade(7).id]);
  });

  it('keeps a gap that reaches past the cursor’s time, drops one the client lived through', () => {
    const read = [gap(9, 1, 2), entry(10, 3), gap(10, 4, 9), entry(11, 5), entry(12, 9)];
    expect(ids(afterSeam(read, servedAlone(5, 2)))).toEqual(['gap 4..9', trade(9).id]);
  });

  it('cuts nothing when a newer trade comes before it (the position was the trade’s own) or it is not there', () => {
    const exact: Cursor = { ...servedAlone(5, 5) };
    const read = [entry(6, 6), entry(7, 7), entry(8, 5)];
    expect(afterSeam(read, exact)).toBe(read);
    const without = [entry(10, 3), entry(11, 4)];
    expect(afterSeam(without, servedAlone(5, 2))).toBe(without);
    const noId: Cursor = { topic: TOPIC, epoch: 'stream.1', position: 2, at: trade(5).timestamp };
    const withIt = [entry(10, 5), entry(11, 6)];
    expect(afterSeam(withIt, noId)).toBe(withIt);
  });

  it('replays only what the client had not, while the seam with live still follows everything read', () => {
    const window: ResumeWindow = createMemoryWindow({ now: () => T0, maxTradesPerTopic: 100, windowMs: 60_000 });
    const { items, last } = replayOf(window, TOPIC, [entry(10, 3), entry(11, 5), entry(12, 6)], servedAlone(5, 2));
    expect(items.flatMap((item) => (Array.isArray(item) ? item.map((t) => (t as { id?: unknown }).id) : []))).toEqual([trade(6).id]);
    expect(last).toBe(12);
  });
});

describe('the cursor text', () => {
  it('carries the trade’s id, and still reads a cursor issued without one', () => {
    const cursor = servedAlone(5, 2);
    expect(decodeCursor(encodeCursor(cursor), TOPIC)).toEqual({ ok: true, cursor });
    const old = Buffer.from(JSON.stringify([1, TOPIC.channel, TOPIC.key, 'stream.1', 2, T0])).toString('base64url');
    expect(decodeCursor(old, TOPIC)).toEqual({ ok: true, cursor: { topic: TOPIC, epoch: 'stream.1', position: 2, at: T0, id: undefined } });
    const badId = Buffer.from(JSON.stringify([1, TOPIC.channel, TOPIC.key, 'stream.1', 2, T0, 7])).toString('base64url');
    expect(decodeCursor(badId, TOPIC).ok).toBe(false);
  });
});
