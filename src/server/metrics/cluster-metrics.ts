/**
 * The cluster metrics (api-contract.md, "Metrics added (third milestone)"),
 * read at scrape time from the upstream's cluster status; absent in a single
 * process (the families exist, without samples, except engine_up at 0).
 * `coincall_gateway_cluster_engine_up`, `_cluster_topics_held{market}`,
 * `_cluster_takeovers_total`, `_cluster_publishes_total{result}`,
 * `_cluster_gap_markers_total{reason,outcome}`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { MARKETS } from '../../coincall/protocol.ts';
import type { UpstreamStatus } from '../../sources/coincall/coincall-source.ts';
import { GAP_REASONS, GAP_RESULTS } from '../../sources/cluster/gap-counts.ts';

/** The `result` label's values of the publishes, all present (0 until counted). */
export const PUBLISH_RESULTS = ['stored', 'duplicate', 'refused'] as const;

/** Registers the families on `registry`; `upstream` is read at each scrape (undefined before the server binds it). */
export function registerClusterMetrics(registry: Registry, upstream: () => UpstreamStatus | undefined): void {
  const cluster = () => upstream()?.cluster;
  new Gauge({
    name: 'coincall_gateway_cluster_engine_up',
    help: "1 while this replica reaches the cluster's engine (NATS JetStream); 0 while it is unreachable or in a single gateway.",
    registers: [registry],
    collect() {
      this.set(cluster()?.engine === 'CONNECTED' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'coincall_gateway_cluster_topics_held',
    help: 'Topics whose upstream subscription this replica holds and publishes into the engine, by market.',
    labelNames: ['market'],
    registers: [registry],
    collect() {
      this.reset();
      const status = cluster();
      if (status === undefined) return;
      for (const market of MARKETS) this.set({ market }, status.topicsHeldByMarket[market] ?? 0);
    },
  });
  new Counter({
    name: 'coincall_gateway_cluster_takeovers_total',
    help: 'Topic leases another replica held that this one took over (the holder died or stalled).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cluster()?.takeovers ?? 0);
    },
  });
  new Counter({
    name: 'coincall_gateway_cluster_publishes_total',
    help: 'Publishes into the engine by result: stored, duplicate (the other holder stored it first), refused (a fenced stale write).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = cluster()?.publishes;
      for (const result of PUBLISH_RESULTS) this.inc({ result }, counts?.[result] ?? 0);
    },
  });
  new Counter({
    name: 'coincall_gateway_cluster_gap_markers_total',
    help: "Trades gaps this replica judged, by reason (UPSTREAM: a holder's own connection; ENGINE: served alone while the engine was away) and outcome: published (marked in the stream), covered (another publisher stored trades meanwhile), said (another node marked it), behind (ENGINE: a feed of this replica fell behind the stream's retention and told its clients), failed (not marked: trades may be missing unsaid).",
    labelNames: ['reason', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = cluster()?.gapMarkers;
      for (const reason of GAP_REASONS) for (const outcome of GAP_RESULTS) this.inc({ reason, outcome }, counts?.[reason][outcome] ?? 0);
    },
  });
}
