/**
 * The upstream side of the gateway as one object: connections per market and
 * per credential, each with its multiplexer.
 *
 * Public market data shares one connection per market, signed with the
 * server's key and opened at start. Private channels use one connection per
 * market and per distinct client credential (key and secret), opened on first
 * use, shared by every subscription of that credential, and closed after its
 * last topic (plus a linger). Data of one credential never reaches another's
 * listeners because their topics live on different multiplexers.
 *
 * Clients choose private credentials, so clients could make the gateway open
 * handshakes to the exchange at will (and get its IP banned for everyone).
 * Three guards stand in the way: a cap on distinct credentials with private
 * connections at once, a global rate of private handshakes (new connections
 * refused with LIMIT_EXCEEDED when it is spent, reconnects queued behind it),
 * and a bounded, expiring memo of credentials the exchange refused, which
 * then fail fast with FORBIDDEN.
 */
import { MARKETS, type MarketName } from '../coincall/protocol.ts';
import { credentialId as fingerprint, type Credential } from '../coincall/signing.ts';
import type { Backoff } from '../lib/backoff.ts';
import { GatewayError } from '../lib/errors.ts';
import { LIMIT_SETTINGS } from '../lib/limits.ts';
import { maskKey, type Logger } from '../lib/logger.ts';
import type { AnyChannel } from '../channels/channel.ts';
import { createExpiringSet, createHandshakeBudget } from './admission.ts';
import { openConnection, type ConnectionStats, type UpstreamConnection } from './connection.ts';
import { createHubCounters, type CountedHub, type HubCountsSnapshot } from './hub-counters.ts';
import { createMultiplexer, type DropCounters, type Multiplexer, type TopicInfo } from './multiplexer.ts';
import { attachSubscriber, type Subscription } from './subscription.ts';

export { DEFAULT_ACK_WAIT_MS, type Subscription } from './subscription.ts';

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
  /** Global rate of private handshakes (default DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND). */
  readonly privateHandshakesPerSecond?: number;
  /** Burst of private handshakes (default DEFAULT_PRIVATE_HANDSHAKE_BURST). */
  readonly privateHandshakeBurst?: number;
  /** How long a refused credential fails fast (default REFUSED_CREDENTIAL_TTL_MS). */
  readonly refusedCredentialTtlMs?: number;
  /** Refused credentials remembered at once (default MAX_REFUSED_CREDENTIALS). */
  readonly maxRefusedCredentials?: number;
  /** Called once per routed data frame with its channel and exchange timestamp (metrics: delivery latency). */
  readonly onRouted?: (channel: string, frameTs: number | undefined) => void;
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
}

export interface Upstream {
  /** Subscribes to `channel` with validated `args`; private channels need the client's credential. */
  subscribe(
    channel: AnyChannel,
    args: unknown,
    credential: Credential | undefined,
    options?: { readonly failureValue?: (error: Error) => unknown },
  ): Subscription;
  status(): UpstreamStatus;
  /**
   * Every public connection is open, or reconnecting after the exchange closed
   * it for idleness (routine: the next subscription is not delayed by it).
   */
  ready(): boolean;
  /**
   * Ends every subscription, sends every upstream unsubscribe (paced) and closes
   * the connections; resolves when done, or after the shutdown drain time at most.
   */
  close(): Promise<void>;
}

interface Hub {
  readonly id: string;
  /** The credential's fingerprint (`public` for the shared connections). */
  readonly owner: string;
  readonly market: MarketName;
  readonly access: 'public' | 'private';
  readonly connection: UpstreamConnection;
  readonly mux: Multiplexer;
  lingerTimer: NodeJS.Timeout | undefined;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const hubs = new Map<string, Hub>();
  const maxPrivateCredentials = options.maxPrivateCredentials ?? DEFAULT_MAX_PRIVATE_CREDENTIALS;
  const handshakes = createHandshakeBudget({
    ratePerSecond: options.privateHandshakesPerSecond ?? DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND,
    burst: options.privateHandshakeBurst ?? DEFAULT_PRIVATE_HANDSHAKE_BURST,
    now,
  });
  const refused = createExpiringSet({
    ttlMs: options.refusedCredentialTtlMs ?? REFUSED_CREDENTIAL_TTL_MS,
    maxSize: options.maxRefusedCredentials ?? MAX_REFUSED_CREDENTIALS,
    now,
  });
  const retiredDrops: DropCounters = { unknownDt: 0, undecodable: 0, unrouted: 0 };
  const counters = createHubCounters();
  const counted = (h: Hub): CountedHub => ({ market: h.market, access: h.access, reconnects: () => h.connection.stats().reconnects, frames: h.mux.frames, topicCount: () => h.mux.topics().length });
  let closing: Promise<void> | undefined;

  /** Closes a hub; with `drainMs`, its unsubscribes go out first (see UpstreamConnection.close). */
  const closeHub = (hub: Hub, drainMs = 0): Promise<void> => {
    clearTimeout(hub.lingerTimer);
    if (hubs.get(hub.id) !== hub) return Promise.resolve();
    hubs.delete(hub.id);
    hub.mux.close();
    for (const k of Object.keys(retiredDrops) as Array<keyof DropCounters>) retiredDrops[k] += hub.mux.drops[k];
    counters.retire(counted(hub));
    return hub.connection.close(drainMs);
  };

  const openHub = (market: MarketName, credential: Credential, access: 'public' | 'private', owner: string): Hub => {
    const id = `${market}:${owner}`;
    const log = logger.child({ market, access, ...(access === 'private' ? { account: maskKey(credential.apiKey) } : {}) });
    // The hub is referenced by callbacks that only run after construction.
    let hub: Hub | undefined;
    const mux = createMultiplexer({
      market,
      logger: log,
      send: (text, onWritten) => hub?.connection.send(text, onWritten),
      now,
      ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
      ...(options.throttleRetries === undefined ? {} : { throttleRetries: options.throttleRetries }),
      ...(options.throttleBackoff === undefined ? {} : { throttleBackoff: options.throttleBackoff }),
      ...(options.onRouted === undefined ? {} : { onRouted: options.onRouted }),
      onIdleChange: (idle) => {
        if (hub === undefined || access === 'public') return;
        const h = hub;
        clearTimeout(h.lingerTimer);
        h.lingerTimer = idle ? setTimeout(() => void closeHub(h), options.connectionLingerMs ?? DEFAULT_CONNECTION_LINGER_MS) : undefined;
      },
    });
    const connection = openConnection({
      market,
      url: options.urls[market],
      credential,
      logger: log,
      now,
      retryOnRefusal: access === 'public',
      ...(access === 'private' ? { handshakeDelay: () => handshakes.reserve() } : {}),
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      isIdle: () => mux.isIdle(),
      onOpen: () => mux.resubscribeAll(),
      onFrame: (frame, receivedAt) => mux.handleFrame(frame, receivedAt),
      onRefused: (status) => {
        refused.add(owner);
        mux.failAll(refusedError(credential, status));
        if (hub !== undefined) void closeHub(hub);
      },
    });
    hub = { id, owner, market, access, connection, mux, lingerTimer: undefined };
    hubs.set(id, hub);
    return hub;
  };

  const refusedError = (credential: Credential, status: number) =>
    new GatewayError(
      'FORBIDDEN',
      `Coincall refused the API key ${maskKey(credential.apiKey)} (HTTP ${status}). Check the key, its secret and its permissions.`,
    );

  for (const market of MARKETS) openHub(market, options.serverCredential, 'public', 'public');

  /** The credentials (fingerprints) with private connections open or opening. */
  const privateOwners = (): Set<string> => new Set([...hubs.values()].filter((h) => h.access === 'private').map((h) => h.owner));

  /** The credential's hub for `market`, opened if admitted; throws FORBIDDEN or LIMIT_EXCEEDED otherwise. */
  const privateHub = (market: MarketName, credential: Credential): Hub => {
    const owner = fingerprint(credential);
    if (refused.has(owner)) throw refusedError(credential, 403);
    const found = hubs.get(`${market}:${owner}`);
    if (found !== undefined) return found;
    const owners = privateOwners();
    if (!owners.has(owner) && owners.size >= maxPrivateCredentials)
      throw new GatewayError(
        'LIMIT_EXCEEDED',
        `The gateway already serves private channels for ${maxPrivateCredentials} accounts, its limit (${LIMIT_SETTINGS.upstreamMaxPrivateAccounts.env}); try again once others have left.`,
      );
    if (!handshakes.tryTake())
      throw new GatewayError(
        'LIMIT_EXCEEDED',
        `Too many accounts are connecting to Coincall through the gateway right now (${LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecond.env}); try again in a few seconds.`,
      );
    return openHub(market, credential, 'private', owner);
  };

  return {
    subscribe(channel, args, credential, subscribeOptions) {
      if (closing !== undefined) throw new GatewayError('UPSTREAM_REJECTED', 'The gateway is shutting down.');
      let hub: Hub;
      if (channel.access === 'private') {
        if (credential === undefined)
          throw new GatewayError(
            'UNAUTHENTICATED',
            `${channel.id} is private: present your Coincall API key and secret (graphql-ws connectionParams { apiKey, apiSecret }, or headers X-Coincall-Api-Key / X-Coincall-Api-Secret).`,
          );
        hub = privateHub(channel.market, credential);
      } else hub = hubs.get(`${channel.market}:public`) as Hub;

      return attachSubscriber(hub.mux, channel, args, {
        ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
        ...(options.eventQueueLimit === undefined ? {} : { eventQueueLimit: options.eventQueueLimit }),
        ...(subscribeOptions?.failureValue === undefined ? {} : { failureValue: subscribeOptions.failureValue }),
      });
    },
    status() {
      const all = [...hubs.values()];
      const drops: DropCounters = { ...retiredDrops };
      for (const hub of all) for (const k of Object.keys(drops) as Array<keyof DropCounters>) drops[k] += hub.mux.drops[k];
      return {
        connections: all.map((h) => ({ ...h.connection.stats(), access: h.access })),
        topics: all.filter((h) => h.access === 'public').flatMap((h) => h.mux.topics()),
        privateTopics: all.filter((h) => h.access === 'private').reduce((n, h) => n + h.mux.topics().length, 0),
        privateCredentials: privateOwners().size,
        refusedCredentials: refused.size(),
        drops,
        ...counters.snapshot(all.map(counted)),
      };
    },
    ready: () => MARKETS.every((m) => hubs.get(`${m}:public`)?.connection.available() === true),
    close() {
      const drainMs = options.shutdownDrainMs ?? DEFAULT_SHUTDOWN_DRAIN_MS;
      closing ??= Promise.all([...hubs.values()].map((hub) => closeHub(hub, drainMs))).then(() => undefined);
      return closing;
    },
  };
}
