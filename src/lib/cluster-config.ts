/**
 * The cluster's settings (`CLUSTER_*`), read with the rest of the
 * configuration: unset `CLUSTER_NATS_URL` means a single process (no cluster
 * object at all); set, the process is one replica of the cluster sharing that
 * NATS server. The trades stream keeps the resume window's retention
 * (`RESUME_WINDOW_MS`, `RESUME_MAX_EVENTS_PER_TOPIC`), read and bounded once
 * with the other limits (`limits.ts`): a replica whose engine is away keeps the
 * same window in memory, so a cluster has no wider range.
 */
import { hostname } from 'node:os';
import { envValue, readInteger, type Env } from './env.ts';
import { LIMIT_SETTINGS, type GatewayLimits } from './limits.ts';

export const DEFAULT_CLUSTER_NAME = 'coincall';
/** A topic lease's life without renewal: a dead holder is replaced within it. */
export const DEFAULT_CLUSTER_LEASE_TTL_MS = 5_000;
/** Below a second, renewals (a third of the TTL) would crowd the engine and a GC pause would lose leases. */
export const MIN_CLUSTER_LEASE_TTL_MS = 500;
export const MAX_CLUSTER_LEASE_TTL_MS = 60_000;
/** Replicas holding each trades topic at once: two, so losing one loses no trade. */
export const DEFAULT_CLUSTER_EVENT_PUBLISHERS = 2;
/** The most replicas that may hold one trades topic at once (so a topic never has more holders). */
export const MAX_CLUSTER_EVENT_PUBLISHERS = 2;
/** How long trades stay retained (the trades stream's max age): `RESUME_WINDOW_MS`'s default. */
export const DEFAULT_RESUME_WINDOW_MS = LIMIT_SETTINGS.resumeWindowMs.fallback;
/** Most trades retained per topic (the trades stream's per-subject limit): `RESUME_MAX_EVENTS_PER_TOPIC`'s default. */
export const DEFAULT_RESUME_MAX_EVENTS_PER_TOPIC = LIMIT_SETTINGS.resumeMaxEventsPerTopic.fallback;

/** The resume window's limits, already read and checked with the others. */
export type RetentionLimits = Pick<GatewayLimits, 'resumeWindowMs' | 'resumeMaxEventsPerTopic'>;

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,32}$/;
/**
 * What the NATS client for Node dials: `nats://` and `tls://` (alike: TLS when
 * the server offers or requires it). It has no WebSocket transport: `ws://` and
 * `wss://` would only fail at connect, so they are refused here.
 */
const NATS_SCHEMES = ['nats:', 'tls:'];

export interface ClusterConfig {
  /** NATS server(s), comma-separated. */
  readonly natsUrl: string;
  readonly name: string;
  readonly nodeId: string;
  readonly leaseTtlMs: number;
  readonly eventPublishers: number;
  readonly retentionMs: number;
  readonly maxEventsPerTopic: number;
}

function isNatsUrl(text: string): boolean {
  try {
    return NATS_SCHEMES.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** The default node id: the host name and the process id (unique on one machine, readable in status). */
export function defaultNodeId(pid: number | undefined): string {
  return pid === undefined ? hostname() : `${hostname()}-${pid}`;
}

/**
 * The cluster settings (`pid`: the process id, for the default node id;
 * `retention`: the resume window's limits, the trades stream's), or undefined
 * when `CLUSTER_NATS_URL` is unset; problems go to `problems`.
 */
export function readClusterConfig(env: Env, problems: string[], retention: RetentionLimits, pid?: number): ClusterConfig | undefined {
  const natsUrl = envValue(env, 'CLUSTER_NATS_URL');
  if (natsUrl === undefined) return undefined;
  for (const server of natsUrl.split(',').map((s) => s.trim())) {
    if (!isNatsUrl(server))
      problems.push(
        `CLUSTER_NATS_URL must be nats:// or tls:// URLs separated by commas (no ws:// or wss://: the NATS client for Node has no WebSocket transport), got "${redactNatsUrl(server)}".`,
      );
  }
  const name = envValue(env, 'CLUSTER_NAME') ?? DEFAULT_CLUSTER_NAME;
  if (!CLUSTER_NAME.test(name)) problems.push(`CLUSTER_NAME must be 1 to 32 letters, digits, "_" or "-", got "${name}".`);
  return {
    natsUrl,
    name,
    nodeId: envValue(env, 'CLUSTER_NODE_ID') ?? defaultNodeId(pid),
    leaseTtlMs: readInteger(
      env,
      'CLUSTER_LEASE_TTL_MS',
      DEFAULT_CLUSTER_LEASE_TTL_MS,
      MIN_CLUSTER_LEASE_TTL_MS,
      MAX_CLUSTER_LEASE_TTL_MS,
      problems,
    ),
    eventPublishers: readInteger(
      env,
      'CLUSTER_EVENT_PUBLISHERS',
      DEFAULT_CLUSTER_EVENT_PUBLISHERS,
      1,
      MAX_CLUSTER_EVENT_PUBLISHERS,
      problems,
    ),
    retentionMs: retention.resumeWindowMs,
    maxEventsPerTopic: retention.resumeMaxEventsPerTopic,
  };
}

/** `CLUSTER_NATS_URL` fit for a log line: each server's user, password or token replaced by `***`. */
export function redactNatsUrl(natsUrl: string): string {
  return natsUrl
    .split(',')
    .map((server) => {
      try {
        const url = new URL(server.trim());
        if (url.username === '' && url.password === '') return server.trim();
        return `${url.protocol}//***@${url.host}${url.pathname}`;
      } catch {
        return '(not a URL)';
      }
    })
    .join(',');
}

/** The start-up line's fields: what a replica runs with, no credential. */
export function clusterLogFields(cluster: ClusterConfig): Record<string, string | number> {
  return {
    natsUrl: redactNatsUrl(cluster.natsUrl),
    name: cluster.name,
    node: cluster.nodeId,
    leaseTtlMs: cluster.leaseTtlMs,
    eventPublishers: cluster.eventPublishers,
  };
}
