/**
 * Delivery lag in `/metrics`, so that a fan-out falling behind is reported
 * rather than found by its users: the age of the oldest message the gateway
 * holds for any subscriber (its socket or response backed up), the
 * subscriptions of stuck graphql-ws sockets the keepalive ended in band, and
 * the sockets it then closed (`ws-liveness.ts`). Read
 * at scrape time from the fan-out and the keepalive; registered on the
 * server's registry once the server exists (`gateway-server.ts`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const SUBSCRIBER_LAG_METRIC = 'coincall_gateway_subscriber_lag_seconds';
export const STUCK_SOCKETS_METRIC = 'coincall_gateway_stuck_sockets_closed_total';
export const STUCK_SUBSCRIPTIONS_METRIC = 'coincall_gateway_stuck_subscriptions_ended_total';

export interface LagSources {
  /** The age (ms) of the oldest message held for any subscriber; 0 when none is. */
  readonly maxLagMs: () => number;
  /** graphql-ws sockets closed as stuck since start. */
  readonly stuckClosed: () => number;
  /** Subscriptions of stuck graphql-ws sockets ended in band since start (shared path and graphql-ws's own). */
  readonly stuckEnded: () => number;
}

/** Registers the lag families on `registry` (once: a second call with the same registry changes nothing). */
export function registerLagMetrics(registry: Registry, sources: LagSources): void {
  if (registry.getSingleMetric(SUBSCRIBER_LAG_METRIC) !== undefined) return;
  new Gauge({
    name: SUBSCRIBER_LAG_METRIC,
    help: 'Delivery lag: the age of the oldest message held for any subscriber whose socket or response is backed up (0 when none is).',
    registers: [registry],
    collect() {
      this.set(sources.maxLagMs() / 1000);
    },
  });
  new Counter({
    name: STUCK_SOCKETS_METRIC,
    help: 'graphql-ws sockets closed (1013) because they neither answered a ping nor read anything for a keepalive round after their subscriptions were ended.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.stuckClosed());
    },
  });
  new Counter({
    name: STUCK_SUBSCRIPTIONS_METRIC,
    help: 'Subscriptions of stuck graphql-ws sockets ended in band with SUBSCRIBER_TOO_SLOW (shared or not) before their socket was closed.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.stuckEnded());
    },
  });
}
