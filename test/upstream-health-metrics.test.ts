/**
 * The upstream health families (issue 22): subscribes left unanswered past
 * UPSTREAM_ACK_TIMEOUT_MS and trades topics a probe found dead, by market,
 * read from the upstream's status at scrape time.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/server/metrics/metrics.ts';
import type { UpstreamStatus } from '../src/sources/coincall/coincall-source.ts';
import { IDLE_UPSTREAM } from './helpers/prometheus.ts';

const status: UpstreamStatus = {
  ...IDLE_UPSTREAM,
  ackTimeouts: [{ market: 'futures', count: 2 }],
  deadTopics: [{ market: 'options', count: 1 }],
};

describe('upstream health metrics', () => {
  it('counts ack timeouts and dead trades topics by market', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.bind({ upstream: () => status });
    const text = await metrics.render();
    expect(text).toContain('coincall_gateway_upstream_ack_timeouts_total{market="futures"} 2');
    expect(text).toContain('coincall_gateway_upstream_dead_topics_total{market="options"} 1');
  });
});
