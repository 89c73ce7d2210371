/**
 * Lag behind the exchange (issue 22): the age of the frames a connection reads
 * (receive time minus the frame's `ts`) is shown in its status and in
 * `coincall_gateway_upstream_lag_seconds{market}`, and `/ready` turns 503 with
 * the lag past the bound (UPSTREAM_MAX_LAG_MS, default 10 s); the measure
 * forgets a late frame after two windows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { createMetrics } from '../src/server/metrics/metrics.ts';
import { createLagTracker, LAG_WINDOW_MS } from '../src/sources/coincall/lag-tracker.ts';
import { startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, sleep, startTestGateway, waitFor } from './helpers/gateway.ts';

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

describe('UPSTREAM_MAX_LAG_MS', () => {
  it('is read within its range, 10000 by default', () => {
    expect(readConfig({})).toMatchObject({ ok: true, config: { limits: { upstreamMaxLagMs: 10_000 } } });
    expect(readConfig({ UPSTREAM_MAX_LAG_MS: '2500' })).toMatchObject({ ok: true, config: { limits: { upstreamMaxLagMs: 2_500 } } });
    expect(readConfig({ UPSTREAM_MAX_LAG_MS: '10' }).ok).toBe(false);
    expect(readConfig({ UPSTREAM_MAX_LAG_MS: '600001' }).ok).toBe(false);
  });

  it("bounds the running gateway's /ready: frames 5 s late are past a 2 s bound (not past the default)", async () => {
    const gateway = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, upstreamMaxLagMs: 2_000 } } });
    const ready = async () => {
      const response = await fetch(`${gateway.url}/ready`);
      return { status: response.status, body: await response.text() };
    };
    let last = await ready();
    for (let i = 0; i < 100 && last.status !== 200; i++) {
      await sleep(50);
      last = await ready();
    }
    expect(last.status).toBe(200);
    for (let i = 0; i < 100 && last.status !== 503; i++) {
      gateway.simulator?.sendRaw('futures', JSON.stringify({ dt: 33, c: 20, ts: Date.now() - 5_000, d: [] }));
      await sleep(50);
      last = await ready();
    }
    expect(last.status).toBe(503);
    expect(last.body).toMatch(/futures reads \d+ ms behind the exchange \(past 2000 ms\)/);
  });
});
