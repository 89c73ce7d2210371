/**
 * The upstream's health beyond its connections (issue 22), read at scrape time
 * from the upstream's plain counters, by market:
 * - `coincall_gateway_upstream_ack_timeouts_total`: subscribes the exchange
 *   left unanswered past UPSTREAM_ACK_TIMEOUT_MS (each was sent again);
 * - `coincall_gateway_upstream_unsubscribe_timeouts_total`: unsubscribes it
 *   left unanswered as long (each taken as done);
 * - `coincall_gateway_upstream_dead_topics_total`: trades topics a probe found
 *   dead on a live connection (their missed trades delivered);
 * - `coincall_gateway_upstream_lag_seconds`: how far behind the exchange the
 *   public connection reads (the age of the frames it reads).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { UpstreamStatus } from '../../sources/coincall/coincall-source.ts';

/** Registers the families on `registry`; `upstream` is read at each scrape (undefined before the server binds it). */
export function registerUpstreamHealthMetrics(registry: Registry, upstream: () => UpstreamStatus | undefined): void {
  new Counter({
    name: 'coincall_gateway_upstream_ack_timeouts_total',
    help: 'Subscribes the exchange left unanswered past UPSTREAM_ACK_TIMEOUT_MS (each sent again), by market.',
    labelNames: ['market'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { market, count } of upstream()?.ackTimeouts ?? []) this.inc({ market }, count);
    },
  });
  new Counter({
    name: 'coincall_gateway_upstream_unsubscribe_timeouts_total',
    help: 'Unsubscribes the exchange left unanswered past UPSTREAM_ACK_TIMEOUT_MS (each taken as done, so a new subscribe of the topic goes out), by market.',
    labelNames: ['market'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { market, count } of upstream()?.unsubscribeTimeouts ?? []) this.inc({ market }, count);
    },
  });
  new Counter({
    name: 'coincall_gateway_upstream_dead_topics_total',
    help: 'Trades topics found dead on a live connection by a probe (their missed trades delivered), by market.',
    labelNames: ['market'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { market, count } of upstream()?.deadTopics ?? []) this.inc({ market }, count);
    },
  });
  new Gauge({
    name: 'coincall_gateway_upstream_lag_seconds',
    help: 'How far behind the exchange each public connection reads: receive time minus the frame ts, the highest of the last 5 to 10 s.',
    labelNames: ['market'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of upstream()?.connections ?? [])
        if (c.access === 'public' && c.lagMs !== undefined) this.set({ market: c.market }, c.lagMs / 1000);
    },
  });
}
