/**
 * Lag behind the exchange (issue 22): the age of the frames a connection reads
 * (receive time minus the frame's `ts`) is shown in its status and in
 * `coincall_gateway_upstream_lag_seconds{market}`, and `/ready` turns 503 with
 * the lag past the bound; the measure forgets a late frame after two windows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/server/metrics/metrics.ts';
import { createLagTracker, LAG_WINDOW_MS } from '../src/sources/coincall/lag-tracker.ts';
import { startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

describe('lag behind the exchange', () => {
  it('shows a backlog of old frames in status and metrics, and turns /ready 503 past the bound', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({}, { maxLagMs: 1_000 });
    const old = JSON.stringify({ dt: 33, c: 20, ts: Date.now() - 30_000, d: [] });
    for (const c of exchange.connections) if (c.url.startsWith('/futures') && c.socket.readyState === c.socket.OPEN) c.socket.send(old);
    await waitFor(() => upstream.readiness?.().ready === false, '/ready not ready');
    const futures = upstream.status().connections.find((c) => c.market === 'futures');
    expect(futures?.lagMs).toBeGreaterThanOrEqual(30_000);
    expect(upstream.status().connections.find((c) => c.market === 'options')?.lagMs).toBeUndefined();
    expect(upstream.readiness?.()).toMatchObject({
      status: 'upstream degraded',
      reasons: [expect.stringMatching(/^futures reads \d+ ms behind the exchange \(past 1000 ms\)$/)],
    });
    const metrics = createMetrics({ processMetrics: false });
    metrics.bind({ upstream: () => upstream.status() });
    const line = /coincall_gateway_upstream_lag_seconds\{market="futures"\} ([\d.]+)/.exec(await metrics.render());
    expect(Number(line?.[1])).toBeGreaterThanOrEqual(30);
  });

  it('keeps the highest age for one to two windows, then forgets it', () => {
    let now = 1_000_000;
    const lag = createLagTracker(() => now);
    expect(lag.lagMs()).toBeUndefined();
    lag.observe(now, now - 8_000);
    lag.observe(now + 10, now + 10 - 50);
    expect(lag.lagMs()).toBe(8_000);
    now += LAG_WINDOW_MS;
    lag.observe(now, now - 20);
    expect(lag.lagMs()).toBe(8_000);
    now += LAG_WINDOW_MS;
    lag.observe(now, now - 20);
    expect(lag.lagMs()).toBe(20);
    now += 3 * LAG_WINDOW_MS;
    expect(lag.lagMs()).toBeUndefined();
  });
});
