/**
 * Recovery after a long outage (issue 22, hole 7), against the stand-in
 * exchange: the reconnect backoff is capped at 5 s, so once the exchange
 * accepts connections again `/ready` is back within RECOVERY_BOUND_MS however
 * long the outage lasted, and the backoff starts over once the exchange answers.
 * Timings are the defaults scaled down ten times (worst-case jitter).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, fullJitterBackoff } from '../src/lib/backoff.ts';
import { RECOVERY_BOUND_MS } from '../src/sources/coincall/connection.ts';
import { startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const SCALE = 10;
const ALMOST_ONE = 1 - Number.EPSILON;

/** The default reconnect policy, ten times faster, always drawing its longest delay; it records each attempt. */
function scaledDefaultBackoff() {
  const attempts: number[] = [];
  const policy = fullJitterBackoff({
    baseMs: DEFAULT_BACKOFF_BASE_MS / SCALE,
    maxMs: DEFAULT_BACKOFF_MAX_MS / SCALE,
    random: () => ALMOST_ONE,
  });
  return { attempts, backoff: (attempt: number) => (attempts.push(attempt), policy(attempt)) };
}

describe('recovery after a long outage', () => {
  it('caps the reconnect backoff at 5 s and documents the bound on /ready recovery', () => {
    expect(DEFAULT_BACKOFF_MAX_MS).toBe(5_000);
    expect(RECOVERY_BOUND_MS).toBe(6_000);
    expect(DEFAULT_BACKOFF_MAX_MS + 1_000).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  });

  it('is ready again within RECOVERY_BOUND_MS of the exchange coming back, then backs off from the start', async () => {
    let outage = false;
    const { backoff, attempts } = scaledDefaultBackoff();
    const { exchange, upstream } = await startUpstreamOnFakeExchange({ refuse: () => outage }, { backoff });
    outage = true;
    exchange.dropAll();
    // Long enough for the delays to reach the cap (attempt 4 on: 500 ms here).
    await waitFor(() => attempts.filter((a) => a >= 7).length >= 2, 'eight failed attempts per market', 20_000);
    expect(upstream.ready()).toBe(false);

    outage = false;
    const back = Date.now();
    await waitFor(() => upstream.ready(), 'ready again', 10_000);
    expect(Date.now() - back).toBeLessThanOrEqual(RECOVERY_BOUND_MS / SCALE);

    // The exchange answered: the next drop waits the first delay again, not the capped one.
    attempts.length = 0;
    exchange.dropAll();
    await waitFor(() => attempts.length >= 2, 'both markets backing off');
    expect(attempts.slice(0, 2)).toEqual([0, 0]);
    await waitFor(() => upstream.ready(), 'ready again');
  }, 30_000);
});
