/**
 * The gateway's Prometheus metrics: one prom-client registry per server with
 * the families of the API contract ("Metrics"), Node's default process
 * metrics, and room for graphql-yoga's request metrics (`yoga.ts`). The hot path never touches a label: modules keep plain integer counters and
 * this file (and `*-metrics.ts` beside it) reads them at scrape time. What must be
 * counted here (subscriptions by field, messages by transport, refusals by
 * code) goes through pre-bound children cached per label set, and every label
 * value comes from a closed set: a transport, a market, a channel id, a code
 * (never a symbol, never an account).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SharingStats } from '../../lib/sharing-stats.ts';
import type { UpstreamStatus } from '../../sources/coincall/coincall-source.ts';
import { REJECTION_REASONS, type InstrumentRegistryStatus } from '../../sources/coincall/instrument-registry.ts';
import { registerResumeMetrics } from './resume-metrics.ts';
import { registerClusterMetrics } from './cluster-metrics.ts';
import { registerUpstreamHealthMetrics } from './upstream-health-metrics.ts';

/** How clients reach the gateway; `multipart` is HTTP `multipart/mixed` subscriptions. */
export const TRANSPORTS = ['ws', 'sse', 'multipart'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Latency buckets (seconds) from the exchange's frame `ts` to the socket write. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A refusal code outside the known set is counted under this one (bounded labels). */
export const OTHER_CODE = 'OTHER';
/** Refusal codes counted by name; anything else is `OTHER`. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UPSTREAM_REJECTED',
  'SUBSCRIBER_TOO_SLOW',
  'LIMIT_EXCEEDED',
  'UPSTREAM_TIMEOUT',
  'TOO_MANY_CONNECTIONS',
  'TOO_MANY_CONNECTIONS_PER_IP',
  'BODY_TOO_LARGE',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
]);

/** Where the scrape-time families read their values; bound once the server exists. */
export interface MetricsSources {
  /** The shared path's counters, with its deliveries by transport (members of every transport share it). */
  readonly fanout?: () => SharingStats & { readonly deliveredBy?: Readonly<Record<Transport, number>> };
  readonly upstream?: () => UpstreamStatus;
  /** Open graphql-ws sockets. */
  readonly wsConnections?: () => number;
  /** Refusals counted outside the GraphQL pipeline (the gates; a gateway key's own limits), by code. */
  readonly gateRefusals?: () => Readonly<Record<string, number>>;
  /** The instrument registry's status (refreshes kept out). */
  readonly instruments?: () => InstrumentRegistryStatus | undefined;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition of every family. */
  render(): Promise<string>;
  readonly contentType: string;
  /** Connects the scrape-time families to their counters. */
  bind(sources: MetricsSources): void;
  /**
   * Counts a live subscription: returns the count it went into (one object per
   * field and transport, shared), to hand to `subscriptionClosed` exactly once.
   */
  subscriptionOpened(field: string, transport: Transport): LiveSubscriptions;
  subscriptionClosed(count: LiveSubscriptions): void;
  /** `next` messages written, by transport (plain counters, for unshared subscriptions; the shared path's are read from the fanout). */
  readonly sent: Record<Transport, number>;
  /** Counts a refusal (a GraphQL error code or a gate's). */
  refused(code: string): void;
  /**
   * Observes one write's delay from the exchange's frame `ts`, for the
   * subscription root field `channel` (its channel id). The transports call it
   * as they write (the fan-out, graphql-ws's `onNext`, the SSE and multipart
   * `onNext`); frames without ts are not observed.
   */
  observeLatency(channel: string, frameTs: number | undefined, at?: number): void;
  /**
   * `observeLatency` bound to one root field, its label looked up once: what
   * a transport keeps per subscription or group, so that a message costs no
   * label lookup.
   */
  latencyOf(channel: string): LatencyObserver;
}

/** Observes one write's delay from the exchange's frame `ts` (for one field, bound beforehand). */
export type LatencyObserver = (frameTs: number) => void;

/** The live subscriptions of one field on one transport (a count shared by all of them: nothing per subscription). */
export interface LiveSubscriptions {
  readonly field: string;
  readonly transport: Transport;
  count: number;
}

export interface MetricsOptions {
  /** Node's process metrics (default true). */
  readonly processMetrics?: boolean;
  readonly now?: () => number;
}

const PREFIX = 'coincall_gateway_';

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  let sources: MetricsSources = {};
  const sent: Record<Transport, number> = { ws: 0, sse: 0, multipart: 0 };
  const refusals = new Map<string, number>();
  const live = new Map<string, LiveSubscriptions>();

  const countOf = (map: Map<string, number>, key: string) => map.get(key) ?? 0;
  new Gauge({
    name: `${PREFIX}subscriptions`,
    help: 'Live GraphQL subscriptions by root field and transport.',
    labelNames: ['field', 'transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { field, transport, count } of live.values()) this.set({ field, transport }, count);
    },
  });
  new Gauge({
    name: `${PREFIX}connections`,
    help: 'Open client connections by transport (graphql-ws sockets; SSE and multipart subscription streams).',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      const http: Record<Transport, number> = { ws: 0, sse: 0, multipart: 0 };
      for (const { transport, count } of live.values()) http[transport] += count;
      this.set({ transport: 'ws' }, sources.wsConnections?.() ?? 0);
      this.set({ transport: 'sse' }, http.sse);
      this.set({ transport: 'multipart' }, http.multipart);
    },
  });
  new Gauge({
    name: `${PREFIX}upstream_connections`,
    help: 'Upstream connections to the exchange by market, access (public or private) and state.',
    labelNames: ['market', 'access', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { market: string; access: string; state: string; n: number }>();
      for (const c of sources.upstream?.().connections ?? []) {
        const key = `${c.market}/${c.access}/${c.state}`;
        const entry = counts.get(key) ?? { market: c.market, access: c.access, state: c.state, n: 0 };
        entry.n++;
        counts.set(key, entry);
      }
      for (const { market, access, state, n } of counts.values()) this.set({ market, access, state }, n);
    },
  });
  new Gauge({
    name: `${PREFIX}upstream_topics`,
    help: 'Upstream topics (channel and key) subscribed at the exchange, by market; private ones included.',
    labelNames: ['market'],
    registers: [registry],
    collect() {
      this.reset();
      const status = sources.upstream?.();
      if (status === undefined) return;
      const perMarket = new Map<string, number>();
      for (const t of status.topics) perMarket.set(t.market, countOf(perMarket, t.market) + 1);
      for (const [market, n] of Object.entries(status.privateTopicsByMarket ?? {})) perMarket.set(market, countOf(perMarket, market) + n);
      for (const [market, n] of perMarket) this.set({ market }, n);
    },
  });
  new Counter({
    name: `${PREFIX}upstream_reconnects_total`,
    help: 'Reconnects of upstream connections by market and access.',
    labelNames: ['market', 'access'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of sources.upstream?.().reconnects ?? []) this.inc({ market: r.market, access: r.access }, r.count);
    },
  });
  new Counter({
    name: `${PREFIX}upstream_frames_total`,
    help: 'Data frames received from the exchange by market and channel (unknown dt counted as dropped).',
    labelNames: ['market', 'channel'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of sources.upstream?.().frames ?? []) if (f.count > 0) this.inc({ market: f.market, channel: f.channel }, f.count);
    },
  });
  new Counter({
    name: `${PREFIX}dropped_frames_total`,
    help: 'Upstream frames dropped before delivery, by cause (unknown_dt, undecodable, unrouted, oversized).',
    labelNames: ['cause'],
    registers: [registry],
    collect() {
      this.reset();
      const drops = sources.upstream?.().drops;
      this.inc({ cause: 'unknown_dt' }, drops?.unknownDt ?? 0);
      this.inc({ cause: 'undecodable' }, drops?.undecodable ?? 0);
      this.inc({ cause: 'unrouted' }, drops?.unrouted ?? 0);
      this.inc({ cause: 'oversized' }, drops?.oversized ?? 0);
    },
  });
  new Counter({
    name: `${PREFIX}messages_sent_total`,
    help: 'GraphQL `next` messages written to clients, by transport.',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.reset();
      const shared = sources.fanout?.().deliveredBy;
      for (const transport of TRANSPORTS) this.inc({ transport }, sent[transport] + (shared?.[transport] ?? 0));
    },
  });
  new Counter({
    name: `${PREFIX}slow_subscribers_total`,
    help: 'Slow subscribers by action: `conflated` (a state update skipped for a backed-up socket), `closed` (an event subscriber closed).',
    labelNames: ['action'],
    registers: [registry],
    collect() {
      this.reset();
      const stats = sources.fanout?.();
      this.inc({ action: 'conflated' }, stats?.conflated ?? 0);
      this.inc({ action: 'closed' }, stats?.tooSlow ?? 0);
    },
  });
  new Counter({
    name: `${PREFIX}refusals_total`,
    help: 'Requests and subscriptions refused, by code (GraphQL error codes and the gates\u2019 own).',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      const all = new Map(refusals);
      for (const [code, n] of Object.entries(sources.gateRefusals?.() ?? {})) all.set(code, countOf(all, code) + n);
      for (const [code, n] of all) this.inc({ code }, n);
    },
  });
  new Counter({
    name: `${PREFIX}instrument_refreshes_rejected_total`,
    help: 'Instrument refreshes kept out as implausible, by reason: `empty` (no instrument), `shrunk` (more than half gone).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = sources.instruments?.()?.rejectedRefreshes;
      for (const reason of REJECTION_REASONS) this.inc({ reason }, counts?.[reason] ?? 0);
    },
  });
  for (const register of [registerResumeMetrics, registerUpstreamHealthMetrics, registerClusterMetrics])
    register(registry, () => sources.upstream?.());
  const latency = new Histogram({
    name: `${PREFIX}delivery_latency_seconds`,
    help: "Delay from the exchange's frame timestamp to the socket write, by channel.",
    labelNames: ['channel'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const latencyChildren = new Map<string, ReturnType<typeof latency.labels>>();
  const childOf = (channel: string) => {
    let child = latencyChildren.get(channel);
    if (child === undefined) latencyChildren.set(channel, (child = latency.labels({ channel })));
    return child;
  };

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    bind(next) {
      sources = { ...sources, ...next };
    },
    sent,
    subscriptionOpened(field, transport) {
      const key = `${transport}\u0000${field}`;
      let entry = live.get(key);
      if (entry === undefined) {
        entry = { field, transport, count: 0 };
        live.set(key, entry);
      }
      entry.count++;
      return entry;
    },
    subscriptionClosed(count) {
      count.count--;
    },
    refused(code) {
      const known = REFUSAL_CODES.has(code) ? code : OTHER_CODE;
      refusals.set(known, countOf(refusals, known) + 1);
    },
    observeLatency(channel, frameTs, at = now()) {
      if (frameTs !== undefined) childOf(channel).observe(Math.max(0, at - frameTs) / 1000);
    },
    latencyOf(channel) {
      const child = childOf(channel);
      return (frameTs) => child.observe(Math.max(0, now() - frameTs) / 1000);
    },
  };
}
