/**
 * The upstream side's contract: what `Upstream` offers the GraphQL layer, its
 * options with their defaults, and the status it reports. The Coincall source builds
 * it (`coincall-source.ts`); this file only names it.
 */
import type { MarketName } from '../../coincall/protocol.ts';
import type { Credential } from '../../coincall/signing.ts';
import type { Backoff } from '../../lib/backoff.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AnyChannel } from '../../channels/channel.ts';
import type { ConnectionStats } from './connection.ts';
import type { HubCountsSnapshot } from './connection-counters.ts';
import type { DropCounters, TopicInfo } from './multiplexer.ts';
import type { ClientRef } from './request-scheduler.ts';
import type { Subscription } from '../../hub/subscriber.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { ResumeCounts } from '../../hub/resume.ts';
import type { ClusterStatus } from '../cluster/cluster-status.ts';
import type { ResumeWindow } from '../../hub/resume-window.ts';

/** How long a private connection outlives its last topic. */
export const DEFAULT_CONNECTION_LINGER_MS = 2_000;
/** A refused credential fails fast for this long instead of reconnecting per attempt. */
export const REFUSED_CREDENTIAL_TTL_MS = 30_000;
/**
 * Refused credentials remembered at once; past it the oldest is forgotten (and
 * costs one more handshake if it comes back). 10 000 short entries are about 1 MB.
 */
export const MAX_REFUSED_CREDENTIALS = 10_000;
/**
 * Distinct client credentials with private connections open (or opening) at
 * once. Each may hold one socket per market, so 500 keeps this process under
 * about 1 000 sockets to the exchange from one IP address, and a reconnect of
 * all of them after an outage paced at the handshake rate below takes under
 * two minutes. Coincall publishes no connection limit; raise it with care.
 */
export const DEFAULT_MAX_PRIVATE_CREDENTIALS = LIMIT_SETTINGS.upstreamMaxPrivateAccounts.fallback;
/**
 * At shutdown, how long the upstream unsubscribes may take to go out before the
 * sockets close anyway. At the pacing rate that is about 400 per connection;
 * the exchange forgets the rest with the socket. Well inside the 10 s a
 * container gets between SIGTERM and SIGKILL.
 */
export const DEFAULT_SHUTDOWN_DRAIN_MS = 5_000;
/** New private handshakes per second, all credentials together (reconnects included). */
export const DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND = LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecond.fallback;
/** Private handshakes allowed back to back before the rate applies. */
export const DEFAULT_PRIVATE_HANDSHAKE_BURST = LIMIT_SETTINGS.upstreamPrivateHandshakeBurst.fallback;
/** Largest upstream frame accepted. */
export const DEFAULT_UPSTREAM_MAX_FRAME_BYTES = LIMIT_SETTINGS.upstreamMaxFrameBytes.fallback;

export interface UpstreamOptions {
  readonly urls: Readonly<Record<MarketName, string>>;
  /** Signs the shared public connections. */
  readonly serverCredential: Credential;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly lingerMs?: number;
  readonly connectionLingerMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly backoff?: Backoff;
  readonly ackWaitMs?: number;
  readonly eventQueueLimit?: number;
  /** Upper bound of the shutdown's unsubscribe drain (default DEFAULT_SHUTDOWN_DRAIN_MS). */
  readonly shutdownDrainMs?: number;
  /** Re-sends of a subscribe refused for "too many request" before it fails (default DEFAULT_THROTTLE_RETRIES). */
  readonly throttleRetries?: number;
  /** Delay before each such re-send (default: the next rate window plus jitter). */
  readonly throttleBackoff?: Backoff;
  /** Distinct private credentials connected at once (default DEFAULT_MAX_PRIVATE_CREDENTIALS). */
  readonly maxPrivateCredentials?: number;
  /** How long a query waits for a topic's first value (default LIMIT_SETTINGS.querySnapshotTimeoutMs). */
  readonly querySnapshotTimeoutMs?: number;
  /** Global rate of private handshakes (default DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND). */
  readonly privateHandshakesPerSecond?: number;
  /** Burst of private handshakes (default DEFAULT_PRIVATE_HANDSHAKE_BURST). */
  readonly privateHandshakeBurst?: number;
  /** How long a refused credential fails fast (default REFUSED_CREDENTIAL_TTL_MS). */
  readonly refusedCredentialTtlMs?: number;
  /** Refused credentials remembered at once (default MAX_REFUSED_CREDENTIALS). */
  readonly maxRefusedCredentials?: number;
  /** Largest upstream frame accepted (default DEFAULT_UPSTREAM_MAX_FRAME_BYTES); a larger one renews its connection. */
  readonly maxFrameBytes?: number;
  /** How often topics are checked for staleness (default DEFAULT_STALE_CHECK_MS). */
  readonly staleCheckMs?: number;
  /** Silence before a trades topic is probed (default DEFAULT_PROBE_AFTER_MS). */
  readonly probeAfterMs?: number;
  /** Private handshakes per second from one client address (default: its limit's). */
  readonly privateHandshakesPerSecondPerAddress?: number;
  /** New upstream topics one client may open per second (default: its limit's). */
  readonly maxNewTopicsPerSecondPerClient?: number;
  /** Requests that may wait on one upstream connection before new topics are refused (default: its limit's). */
  readonly maxPendingTopics?: number;
  /** Where public trades topics retain their trades for `after` and the trades queries (default: an in-memory window of the limits below). */
  readonly resumeWindow?: ResumeWindow;
  /** The in-memory window's time (default: RESUME_WINDOW_MS's). */
  readonly resumeWindowMs?: number;
  /** The in-memory window's trades per topic (default: RESUME_MAX_EVENTS_PER_TOPIC's). */
  readonly resumeMaxEventsPerTopic?: number;
  /** How long a written subscribe may stay unanswered before it is sent again (default: UPSTREAM_ACK_TIMEOUT_MS's). */
  readonly ackTimeoutMs?: number;
  /** Delay before re-send n (0-based) of an overdue subscribe (default: the next rate window plus jitter). */
  readonly ackRetryBackoff?: Backoff;
  /** How far behind the exchange a public connection may read before `/ready` turns 503 (default DEFAULT_UPSTREAM_MAX_LAG_MS). */
  readonly maxLagMs?: number;
}

/** What `/ready` reports of the upstream: ready, or why not (each reason one short line). */
export interface UpstreamReadiness {
  readonly ready: boolean;
  /** `ready`, `upstream not connected` (a public connection is down) or `upstream degraded` (connected, but not serving). */
  readonly status: 'ready' | 'upstream not connected' | 'upstream degraded';
  readonly reasons: readonly string[];
}

export interface ConnectionStatus extends ConnectionStats {
  /** `public` market data (server key) or `private` (a client's credential). */
  readonly access: 'public' | 'private';
}

export interface UpstreamStatus {
  readonly connections: readonly ConnectionStatus[];
  /** Public topics with their subscriber counts; private topics are counted, not named. */
  readonly topics: readonly TopicInfo[];
  readonly privateTopics: number;
  /** Distinct client credentials with private connections open or opening. */
  readonly privateCredentials: number;
  /** Credentials the exchange refused recently (they fail fast with FORBIDDEN until they expire). */
  readonly refusedCredentials: number;
  readonly drops: Readonly<DropCounters>;
  /** Since start, closed connections included (for metrics): reconnects, frames by channel, private topics per market. */
  readonly reconnects?: HubCountsSnapshot['reconnects'];
  readonly frames?: HubCountsSnapshot['frames'];
  readonly privateTopicsByMarket?: HubCountsSnapshot['privateTopicsByMarket'];
  /** Since start: subscribes the exchange left unanswered past UPSTREAM_ACK_TIMEOUT_MS, by market. */
  readonly ackTimeouts?: readonly { readonly market: MarketName; readonly count: number }[];
  /** Since start: unsubscribes the exchange left unanswered past UPSTREAM_ACK_TIMEOUT_MS (taken as done), by market. */
  readonly unsubscribeTimeouts?: readonly { readonly market: MarketName; readonly count: number }[];
  /** Since start: trades topics found dead on a live connection by a probe, by market. */
  readonly deadTopics?: readonly { readonly market: MarketName; readonly count: number }[];
  /** Subscriptions with `after`, by outcome, since start. */
  readonly resumes?: Readonly<ResumeCounts>;
  /** This replica's view of the cluster; absent in a single gateway. */
  readonly cluster?: ClusterStatus;
}

export interface Upstream {
  /** Subscribes to `channel` with validated `args`; private channels need the client's credential. */
  subscribe(
    channel: AnyChannel,
    args: unknown,
    credential: Credential | undefined,
    /** `client`: who asks; its new topics count against its budget, and wait in its own lane. */
    /** `onTake`: called as the subscriber takes each value, with its exchange frame `ts` (delivery latency). */
    options?: {
      readonly failureValue?: (error: Error) => unknown;
      readonly client?: ClientRef;
      readonly onTake?: (frameTs: number | undefined) => void;
    },
  ): Subscription;
  /**
   * Joins the public topic of `channel` for `args` with a raw listener: the
   * topic's events as the hub makes them, before any subscriber's filter (the
   * cluster's holder publishes them into its engine). Throws like `subscribe`.
   */
  tap?(channel: AnyChannel, args: unknown, listener: Listener): TopicHandle;
  /**
   * What this process's own upstream received lately of the public trades
   * topic `key` of `channel`: at most `limit` trades, oldest first, from its
   * own resume window (kept RESUME_WINDOW_MS after the topic closed). The
   * cluster's holder fills the engine's stream from it when it takes a topic
   * over or publishes again after a pause.
   */
  recentTrades?(channel: AnyChannel, key: string, limit: number): Promise<readonly unknown[]>;
  /** The gaps its own upstream had of a public trades topic that end after `since` (its memory window): a catch-up marks them. */
  recentGaps?(channel: AnyChannel, key: string, since: number): Promise<ReadonlyArray<{ readonly since: number; readonly until: number }>>;
  /**
   * What the topic of `channel` for `args` holds for its Query twin (snapshot.ts); UPSTREAM_TIMEOUT without a first value in time.
   * `client`: who asks; a new topic counts against its budget and waits in its lane, as for `subscribe`.
   * `limit`: the most trades a trades twin answers (from the resume window; with `after`, the trades after that cursor).
   */
  snapshot(
    channel: AnyChannel,
    args: unknown,
    credential: Credential | undefined,
    options?: { readonly client?: ClientRef | undefined; readonly limit?: number },
  ): Promise<unknown>;
  status(): UpstreamStatus;
  /**
   * Every public connection is open, or reconnecting after the exchange closed
   * it for idleness (routine: the next subscription is not delayed by it).
   */
  ready(): boolean;
  /** `ready()` with its reasons: a public connection down, a live public topic unanswered past its deadline. */
  readiness?(): UpstreamReadiness;
  /** Calls `listener` on every change of an upstream connection's state (opened, dropped, closed...); returns its removal. */
  onChange(listener: () => void): () => void;
  /**
   * Ends every subscription, sends every upstream unsubscribe (paced) and closes
   * the connections; resolves when done, or after the shutdown drain time at most.
   */
  close(): Promise<void>;
}
