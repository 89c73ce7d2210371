/**
 * The upstream layer's timing rules, without sockets: the reconnect backoff
 * (capped, fully jittered) as a pure function, and the multiplexer's linger
 * (a topic outlives its last listener for 2 s by default, and a listener who
 * comes back inside the linger keeps the upstream subscription).
 */
import { describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, fullJitterBackoff } from '../src/lib/backoff.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { createMultiplexer, DEFAULT_LINGER_MS, type Listener } from '../src/sources/coincall/multiplexer.ts';
import { DEFAULT_CONNECTION_LINGER_MS } from '../src/sources/coincall/coincall-source.ts';
import { waitFor } from './helpers/gateway.ts';

describe('reconnect backoff', () => {
  const ALMOST_ONE = 1 - Number.EPSILON;

  it('doubles its ceiling per attempt from the base', () => {
    const highest = fullJitterBackoff({ baseMs: 100, maxMs: 1_000_000, random: () => ALMOST_ONE });
    expect([0, 1, 2, 3, 4].map(highest)).toEqual([99, 199, 399, 799, 1_599]);
  });

  it('never exceeds the cap, however many attempts failed', () => {
    const highest = fullJitterBackoff({ baseMs: DEFAULT_BACKOFF_BASE_MS, maxMs: DEFAULT_BACKOFF_MAX_MS, random: () => ALMOST_ONE });
    for (const attempt of [6, 7, 10, 30, 31, 100, 10_000]) {
      const delay = highest(attempt);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBeLessThan(DEFAULT_BACKOFF_MAX_MS);
      expect(delay).toBe(DEFAULT_BACKOFF_MAX_MS - 1);
    }
  });

  it('spreads delays over the whole range from 0 to the ceiling (full jitter)', () => {
    const at = (random: number) => fullJitterBackoff({ baseMs: 500, maxMs: 30_000, random: () => random });
    expect(at(0)(3)).toBe(0);
    expect(at(0.5)(3)).toBe(2_000);
    expect(at(ALMOST_ONE)(3)).toBe(3_999);
    expect(at(0.5)(20)).toBe(15_000);
  });

  it('uses Math.random by default', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(fullJitterBackoff({ baseMs: 10, maxMs: 50 })(2)).toBe(20);
      expect(random).toHaveBeenCalled();
    } finally {
      random.mockRestore();
    }
  });

  it('stays within [0, ceiling) whatever the draw', () => {
    const backoff = fullJitterBackoff({ baseMs: 10, maxMs: 50 });
    for (let attempt = 0; attempt < 200; attempt++) {
      const delay = backoff(attempt);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(50, 10 * 2 ** attempt));
    }
  });
});

describe('linger before the upstream unsubscribe', () => {
  const channel = CHANNELS.futuresTrades;
  const args = channel.parseArgs({ symbol: 'BTCUSD' }, Date.now());
  const listener = (): Listener => ({ deliver: () => undefined, fail: () => undefined, end: () => undefined });

  function recordingMultiplexer(lingerMs?: number) {
    const sent: Array<{ action: string; dataType: string }> = [];
    const mux = createMultiplexer({
      market: 'futures',
      logger: silentLogger,
      // Every request reaches the socket at once.
      send: (text, onWritten) => {
        sent.push(JSON.parse(text) as { action: string; dataType: string });
        onWritten?.();
      },
      ...(lingerMs === undefined ? {} : { lingerMs }),
    });
    const count = (action: string) => sent.filter((r) => r.action === action).length;
    return { mux, subscribes: () => count('subscribe'), unsubscribes: () => count('unSubscribe') };
  }

  it('defaults to 2 s for topics and for private connections', () => {
    expect(DEFAULT_LINGER_MS).toBe(2_000);
    expect(DEFAULT_CONNECTION_LINGER_MS).toBe(2_000);
  });

  it('keeps a topic subscribed upstream for DEFAULT_LINGER_MS after its last listener leaves, then unsubscribes', async () => {
    vi.useFakeTimers();
    try {
      const { mux, unsubscribes } = recordingMultiplexer();
      mux.join(channel, args, listener()).release();
      vi.advanceTimersByTime(DEFAULT_LINGER_MS - 1);
      expect(unsubscribes()).toBe(0);
      expect(mux.topics()).toEqual([expect.objectContaining({ channel: 'futuresTrades', key: 'BTCUSD', subscribers: 0 })]);
      // The unsubscribe is picked at the end of the task that expired the topic.
      await vi.advanceTimersByTimeAsync(1);
      expect(unsubscribes()).toBe(1);
      expect(mux.topics()).toEqual([]);
      mux.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('cancels the unsubscribe when a listener rejoins inside the linger', async () => {
    const { mux, subscribes, unsubscribes } = recordingMultiplexer(20);
    mux.join(channel, args, listener()).release();
    const again = mux.join(channel, args, listener());
    // A third topic's whole linger passing proves the first timer had its chance to fire.
    const probe = CHANNELS.futuresIndexPrice;
    mux.join(probe, probe.parseArgs({ symbol: 'ETHUSD' }, Date.now()), listener()).release();
    await waitFor(() => unsubscribes() === 1, "the probe topic's unsubscribe");
    expect(subscribes()).toBe(2);
    expect(mux.topics()).toEqual([expect.objectContaining({ channel: 'futuresTrades', subscribers: 1 })]);
    again.release();
    await waitFor(() => unsubscribes() === 2, 'the unsubscribe after the rejoined listener leaves');
    expect(mux.topics()).toEqual([]);
  });
});
