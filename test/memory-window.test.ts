/**
 * The in-memory resume window on its own, on an injected clock: bounded by
 * trades per topic and by age, kept RESUME_WINDOW_MS after the topic closed
 * and then dropped, positions never reused (a cursor of a dropped ring reads
 * as expired, never as a position of the new one), another epoch expired,
 * and a topic reopened within the window tells when it was closed (the hub
 * judges whether trades of that time are missing; the window records no gap
 * of its own).
 */
import { describe, expect, it, vi } from 'vitest';
import { createMemoryWindow } from '../src/hub/memory-window.ts';

const topic = { channel: 'futuresTrades', key: 'BTCUSD' };
const trade = (n: number) => ({ id: String(n), timestamp: 1_000 + n });

function windowAt(options: { maxTradesPerTopic?: number; windowMs?: number } = {}) {
  let now = 10_000;
  const window = createMemoryWindow({
    maxTradesPerTopic: options.maxTradesPerTopic ?? 100,
    windowMs: options.windowMs ?? 1_000,
    now: () => now,
    epoch: 'e1',
  });
  return { window, advance: (ms: number) => void (now += ms) };
}

describe('the in-memory resume window', () => {
  it('keeps at most maxTradesPerTopic trades; a cursor before them is expired', async () => {
    const { window } = windowAt({ maxTradesPerTopic: 100 });
    window.retain(topic, 0);
    const positions = window.append(
      topic,
      Array.from({ length: 150 }, (_, i) => trade(i)),
      0,
    );
    const kept = await window.after(topic, 'e1', positions[60] ?? 0);
    expect(kept.status).toBe('kept');
    expect(kept.entries).toHaveLength(89);
    const gone = await window.after(topic, 'e1', positions[10] ?? 0);
    expect(gone).toMatchObject({ status: 'expired', oldestAt: 1_050 });
    expect(gone.entries).toHaveLength(100);
  });

  it('drops trades older than windowMs', async () => {
    const { window, advance } = windowAt({ windowMs: 1_000 });
    window.retain(topic, 0);
    const [first] = window.append(topic, [trade(1)], 0);
    advance(600);
    window.append(topic, [trade(2)], 0);
    advance(600);
    // Trade 1 is gone: a cursor before it missed it; one at it missed nothing.
    expect((await window.after(topic, 'e1', (first ?? 1) - 1)).status).toBe('expired');
    expect(await window.after(topic, 'e1', first ?? 0)).toMatchObject({ status: 'kept', entries: [{ trade: trade(2) }] });
    expect(await window.newest(topic, 10)).toHaveLength(1);
  });

  it('reads a cursor of another epoch (a restart) as expired', async () => {
    const { window } = windowAt();
    window.retain(topic, 0);
    window.append(topic, [trade(1), trade(2)], 0);
    const read = await window.after(topic, 'before-restart', 1);
    expect(read.status).toBe('expired');
    expect(read.entries).toHaveLength(2);
  });

  it('knows the cursors it issued: refuses a position past the newest, or not the trade named; judges no expired one', () => {
    const { window } = windowAt({ maxTradesPerTopic: 2 });
    window.retain(topic, 0);
    const [a, b, c] = window.append(topic, [trade(1), trade(2), trade(3)], 0);
    const cursor = (position: number | undefined, n: number, epoch = 'e1') => ({
      epoch,
      position: position ?? 0,
      at: 1_000 + n,
      id: String(n),
    });
    expect(window.issued?.(topic, cursor(c, 3))).toBe(true);
    expect(window.issued?.(topic, cursor((c ?? 0) + 1, 3))).toBe(false);
    expect(window.issued?.(topic, cursor(c, 2))).toBe(false);
    expect(window.issued?.(topic, { ...cursor(c, 3), id: undefined })).toBe(true);
    // Trade 1 is gone (at most 2 kept): its cursor reads as expired, it is not refused; nor one of another epoch.
    expect(window.issued?.(topic, cursor(a, 1))).toBe(true);
    expect(window.issued?.(topic, cursor((c ?? 0) + 5, 9, 'before-restart'))).toBe(true);
    expect(window.issued?.(topic, cursor(b, 2))).toBe(true);
  });

  it('keeps a closed topic for windowMs, then drops it; positions are never reused', async () => {
    vi.useFakeTimers();
    try {
      const { window } = windowAt({ windowMs: 1_000 });
      window.retain(topic, 0);
      const [old] = window.append(topic, [trade(1), trade(2)], 0);
      window.release(topic);
      vi.advanceTimersByTime(999);
      expect(window.topicCount).toBe(1);
      vi.advanceTimersByTime(2);
      expect(window.topicCount).toBe(0);
      window.retain(topic, 0);
      const [fresh] = window.append(topic, [trade(3)], 0);
      expect(fresh).toBeGreaterThan(old ?? 0);
      expect((await window.after(topic, 'e1', old ?? 0)).status).toBe('expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('tells when a topic reopened within the window was closed (no gap of its own: the hub judges), and hands back what it holds', async () => {
    const { window, advance } = windowAt({ windowMs: 10_000 });
    expect(window.closedAt?.(topic)).toBeUndefined();
    window.retain(topic, 0);
    const [first] = window.append(topic, [trade(1), trade(2)], 0);
    expect(window.closedAt?.(topic)).toBeUndefined();
    window.release(topic);
    advance(500);
    expect(window.closedAt?.(topic)).toBe(10_000);
    expect(window.retain(topic, 10)).toEqual([trade(2), trade(1)]);
    expect(window.closedAt?.(topic)).toBeUndefined();
    window.append(topic, [trade(3)], 0);
    const read = await window.after(topic, 'e1', first ?? 0);
    expect(read.entries.map((e) => e.kind)).toEqual(['trade', 'trade']);
    // The hub's gap, when it judges trades of that time may be missing, goes where it is told.
    window.gap(topic, 10_000, 10_500, 'UPSTREAM');
    const again = await window.after(topic, 'e1', first ?? 0);
    expect(again.entries.map((e) => (e.kind === 'gap' ? `gap ${e.reason} ${e.since}-${e.until}` : e.kind))).toEqual([
      'trade',
      'trade',
      'gap UPSTREAM 10000-10500',
    ]);
  });

  it('has nothing to judge for a topic whose trades all went while it was closed', () => {
    const { window, advance } = windowAt({ windowMs: 1_000 });
    window.retain(topic, 0);
    window.append(topic, [trade(1)], 0);
    window.release(topic);
    advance(1_500);
    expect(window.closedAt?.(topic)).toBeUndefined();
  });
});
