/**
 * The instrument registry's timing rules, on fake timers with an in-memory
 * `fetch` (no sockets): a refresh every `refreshMs`, retries by the injected
 * backoff but never further apart than `refreshMs`, nothing left scheduled
 * after `close()`; plus its guard on the refresh period and listener errors.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY_MS, nextDailyExpiry } from '../src/coincall/symbols.ts';
import type { Logger } from '../src/lib/logger.ts';
import { createInstrumentRegistry, type InstrumentRegistryOptions } from '../src/sources/coincall/instrument-registry.ts';
import { listingAnswers, type Listing } from './helpers/rest-exchange.ts';

const BASE = 'http://exchange.test';
const LISTING: Listing = {
  futures: ['BTCUSD', 'ETHUSD'],
  options: { BTCUSD: { expiries: [nextDailyExpiry(Date.now()) + DAY_MS], strikes: ['60000', '70000'] } },
};
const bodies = listingAnswers(LISTING);
/** Requests one load makes: the config, then the BTC options. */
const REQUESTS_PER_LOAD = 2;

const disposers: (() => unknown)[] = [];
afterEach(() => {
  while (disposers.length > 0) disposers.pop()?.();
  vi.useRealTimers();
});

function registry(options: Partial<InstrumentRegistryOptions>) {
  const errors: (string | undefined)[] = [];
  const make = (): Logger => {
    const drop = () => undefined;
    return { debug: drop, info: drop, warn: drop, error: (_obj, msg) => void errors.push(msg), child: make };
  };
  const instance = createInstrumentRegistry({ restUrl: BASE, logger: make(), backoff: () => 10, ...options });
  disposers.push(() => instance.close());
  return { registry: instance, errors };
}

/** A fetch that answers from the listing (or 503 while `fail()` says so), recording every URL. */
function memoryFetch(fail: () => boolean) {
  const calls: string[] = [];
  const fetch = async (input: string) => {
    calls.push(input);
    if (fail()) return new Response('down', { status: 503 });
    return new Response(JSON.stringify(bodies.get(input.slice(BASE.length))), { status: 200 });
  };
  return { calls, fetch };
}

describe('timing (fake timers, in-memory fetch)', () => {
  it('refreshes every refreshMs and stops at close', async () => {
    vi.useFakeTimers();
    const { calls, fetch } = memoryFetch(() => false);
    const { registry: r } = registry({ fetch, refreshMs: 1_000 });
    expect(await r.ready()).toBe('ready');
    expect(calls).toHaveLength(REQUESTS_PER_LOAD);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2 * REQUESTS_PER_LOAD);
    r.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2 * REQUESTS_PER_LOAD);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never waits longer than refreshMs between retries, whatever the backoff says', async () => {
    vi.useFakeTimers();
    const { calls, fetch } = memoryFetch(() => true);
    const { registry: r } = registry({ fetch, refreshMs: 1_000, backoff: () => 3_600_000 });
    expect(await r.ready()).toBe('fallback');
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
  });

  it('retries by the injected backoff, attempt by attempt', async () => {
    vi.useFakeTimers();
    let down = true;
    const { calls, fetch } = memoryFetch(() => down);
    const { registry: r } = registry({ fetch, refreshMs: 60_000, backoff: (attempt) => 100 * 2 ** attempt });
    await r.ready();
    await vi.advanceTimersByTimeAsync(100); // attempt 2 after 100 ms
    await vi.advanceTimersByTimeAsync(200); // attempt 3 after 200 ms more
    expect(calls).toHaveLength(3);
    down = false;
    await vi.advanceTimersByTimeAsync(400);
    expect(r.status()).toMatchObject({ state: 'ready', consecutiveFailures: 0 });
    expect(calls).toHaveLength(3 + REQUESTS_PER_LOAD);
  });

  it('refuses a refresh period that is not a positive integer', () => {
    for (const refreshMs of [0, -1, 0.5, Number.NaN]) expect(() => createInstrumentRegistry({ refreshMs })).toThrow(RangeError);
  });

  it('keeps telling the other listeners when one of them throws', async () => {
    vi.useFakeTimers();
    const { fetch } = memoryFetch(() => false);
    const { registry: r, errors } = registry({ fetch });
    const seen: string[] = [];
    r.onChange(() => {
      throw new Error('listener bug');
    });
    r.onChange((s) => seen.push(s.state));
    await r.ready();
    expect(seen).toEqual(['ready']);
    expect(errors).toEqual(['instrument listener failed']);
  });
});
