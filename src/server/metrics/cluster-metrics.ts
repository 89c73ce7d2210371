/**
 * The cluster metrics (api-contract.md, "Metrics added (third milestone)"),
 * read at scrape time from the upstream's cluster status; absent in a single
 * process (the families exist, without samples, except engine_up at 0).
 * `coincall_gateway_cluster_engine_up`, `_cluster_topics_held{market}`,
 * `_cluster_takeovers_total`, `_cluster_handovers_total`,
 * `_cluster_publishes_total{result}`, `_cluster_gap_markers_total{reason,outcome}`,
 * `_cluster_bad_messages_total{reason}`, `_cluster_feeds_gone`,
 * `_cluster_engine_repairs_total{stream,outcome}`; and one observed as it happens,
 * `_cluster_engine_latency_seconds{kind}` (the engine hop of each message a
 * reader receives live; `engineLatencyObserver` hands its observer to the
 * cluster source).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MARKETS } from '../../coincall/protocol.ts';
import type { UpstreamStatus } from '../../sources/coincall/coincall-source.ts';
import { GAP_REASONS, GAP_RESULTS } from '../../sources/cluster/gap-counts.ts';
import { BAD_MESSAGE_REASONS } from '../../sources/cluster/message-check.ts';
import { REPAIR_OUTCOMES } from '../../sources/cluster/engine-repairs.ts';

export const ENGINE_LATENCY_METRIC = 'coincall_gateway_cluster_engine_latency_seconds';
/** The engine hop's buckets (seconds): sub-millisecond on a quiet engine, the goal's 10 ms, and the seconds of a stall. */
export const ENGINE_LATENCY_BUCKETS_SECONDS = [
  0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** The `kind` label's values: a state topic's values, an event topic's messages (trades, gap markers). */
export const ENGINE_LATENCY_KINDS = ['state', 'event'] as const;
export type EngineLatencyKind = (typeof ENGINE_LATENCY_KINDS)[number];

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
    help: 'Topic leases another replica held that this one took over after they expired (the holder died or stalled).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cluster()?.takeovers ?? 0);
    },
  });
  new Counter({
    name: 'coincall_gateway_cluster_handovers_total',
    help: 'Topic leases another replica held that this one took after the holder released them (a graceful stop, e.g. a rolling restart): not takeovers.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cluster()?.handovers ?? 0);
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
  new Counter({
    name: 'coincall_gateway_cluster_bad_messages_total',
    help: "Engine messages (or their items) this replica did not take, by reason: not_envelope (no JSON envelope of items and an in-range time), bad_item (an item that is no valid record of its channel's shape: left out, the rest of its message goes on), bad_gap (a gap marker with an unknown reason or times out of range: dropped), failed (a checked message whose hand-off threw). Someone writes to the streams who should not, or a version mismatch; counted each time a read meets one (a resume or Query page across it too).",
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = cluster()?.badMessages;
      for (const reason of BAD_MESSAGE_REASONS) this.inc({ reason }, counts?.[reason] ?? 0);
    },
  });
  new Counter({
    name: 'coincall_gateway_cluster_engine_repairs_total',
    help: "The engine's streams (and the lease bucket's, KV_<bucket>) this replica found gone while connected (deleted by hand, a store lost), by stream and outcome: created_again (once per repair), failed (could not be created again, e.g. no permission: counted at each upkeep round it stays so, every 2 s, so its increase lasts as long as the failure).",
    labelNames: ['stream', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = cluster()?.engineRepairs ?? {};
      for (const [stream, byOutcome] of Object.entries(counts))
        for (const outcome of REPAIR_OUTCOMES) this.inc({ stream, outcome }, byOutcome[outcome]);
    },
  });
  new Gauge({
    name: 'coincall_gateway_cluster_feeds_gone',
    help: "Topics whose feed on this replica cannot read its stream with NATS up (the stream deleted and not created again: the gateway's NATS user may not create streams?), served from this replica's own upstream meanwhile.",
    registers: [registry],
    collect() {
      this.set(cluster()?.feedsGone ?? 0);
    },
  });
  new Histogram({
    name: ENGINE_LATENCY_METRIC,
    help: "In a cluster: the engine hop of each message this replica's readers received live, by topic kind: from the time its holder took the value from its upstream (a header it stamps) to its arrival here; it covers the holder's wait to publish, NATS JetStream storing and delivering it, and this replica's event loop. The two clocks are one on a single machine; across machines it includes their skew (a negative difference counts as 0).",
    labelNames: ['kind'],
    buckets: ENGINE_LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
}

/** The observer of the engine hop on `registry` (registered by registerClusterMetrics), its label children bound once; undefined without it. */
export function engineLatencyObserver(registry: Registry): ((kind: EngineLatencyKind, seconds: number) => void) | undefined {
  const histogram = registry.getSingleMetric(ENGINE_LATENCY_METRIC);
  if (!(histogram instanceof Histogram)) return undefined;
  const children = { state: histogram.labels({ kind: 'state' }), event: histogram.labels({ kind: 'event' }) };
  return (kind, seconds) => children[kind].observe(seconds);
}
