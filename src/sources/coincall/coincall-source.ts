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
 * Clients choose private credentials, so they could make the gateway knock
 * on the exchange at will: a cap on distinct credentials with private
 * connections, and `private-admission.ts` (handshake budgets), stand in the
 * way. Each client (`ClientRef`) has a budget of new topics per second, and
 * its subscribes wait in its own lane (`request-scheduler.ts`), whether a
 * subscription or a Query twin opens the topic.
 */
import { MARKETS, type MarketName } from '../../coincall/protocol.ts';
import { credentialId as fingerprint, type Credential } from '../../coincall/signing.ts';
import { forbidden, limitExceeded, unauthenticated, upstreamRejected } from '../../lib/errors.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import { maskKey } from '../../lib/logger.ts';
import { MAX_RECENT_TRADES } from '../../channels/args.ts';
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener } from '../../hub/listener.ts';
import { createTopicBudget } from './admission.ts';
import { openConnection, type UpstreamConnection } from './connection.ts';
import { createHubCounters, type CountedHub } from './connection-counters.ts';
import { createMultiplexer, type DropCounters, type Multiplexer } from './multiplexer.ts';
import { createPrivateAdmission } from './private-admission.ts';
import { readinessOf } from './readiness.ts';
import type { ClientRef } from './request-scheduler.ts';
import { createMemoryWindow } from '../../hub/memory-window.ts';
import { afterOf, attachResuming, checkCursor, newResumeCounts } from '../../hub/resume.ts';
import { takeSnapshot } from '../../hub/snapshot.ts';
import { takeTrades } from '../../hub/trades-query.ts';
import { attachSubscriber } from '../../hub/subscriber.ts';

export type { ClientRef } from './request-scheduler.ts';
export { DEFAULT_ACK_WAIT_MS, type Subscription } from '../../hub/subscriber.ts';
export * from './upstream-api.ts';
import { recentMemory } from './recent-memory.ts';
import {
  DEFAULT_CONNECTION_LINGER_MS,
  DEFAULT_MAX_PRIVATE_CREDENTIALS,
  DEFAULT_PRIVATE_HANDSHAKE_BURST,
  DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND,
  DEFAULT_SHUTDOWN_DRAIN_MS,
  DEFAULT_UPSTREAM_MAX_FRAME_BYTES,
  MAX_REFUSED_CREDENTIALS,
  REFUSED_CREDENTIAL_TTL_MS,
  type Upstream,
  type UpstreamOptions,
} from './upstream-api.ts';

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
  const admission = createPrivateAdmission({
    ratePerSecond: options.privateHandshakesPerSecond ?? DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND,
    burst: options.privateHandshakeBurst ?? DEFAULT_PRIVATE_HANDSHAKE_BURST,
    perAddressPerSecond:
      options.privateHandshakesPerSecondPerAddress ?? LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecondPerAddress.fallback,
    refusedTtlMs: options.refusedCredentialTtlMs ?? REFUSED_CREDENTIAL_TTL_MS,
    maxRefused: options.maxRefusedCredentials ?? MAX_REFUSED_CREDENTIALS,
    now,
  });
  const admitTopic = createTopicBudget({
    ratePerSecond: options.maxNewTopicsPerSecondPerClient ?? LIMIT_SETTINGS.maxNewTopicsPerSecondPerClient.fallback,
    now,
  });
  const retiredDrops: DropCounters = { unknownDt: 0, undecodable: 0, unrouted: 0, oversized: 0 };
  const changeListeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...changeListeners]) listener();
  };
  const counters = createHubCounters();
  const counted = (h: Hub): CountedHub => ({
    market: h.market,
    access: h.access,
    reconnects: () => h.connection.stats().reconnects,
    frames: h.mux.frames,
    topicCount: () => h.mux.topics().length,
  });
  let closing: Promise<void> | undefined;
  /** Since start, by market: subscribes and unsubscribes left unanswered past their deadline, trades topics a probe found dead. */
  const ackTimeouts = new Map<MarketName, number>();
  const unsubscribeTimeouts = new Map<MarketName, number>();
  const deadTopics = new Map<MarketName, number>();
  const bump = (counts: Map<MarketName, number>, market: MarketName) => counts.set(market, (counts.get(market) ?? 0) + 1);
  const listed = (counts: Map<MarketName, number>) => [...counts].map(([market, count]) => ({ market, count }));
  const window =
    options.resumeWindow ??
    createMemoryWindow({
      windowMs: options.resumeWindowMs ?? LIMIT_SETTINGS.resumeWindowMs.fallback,
      maxTradesPerTopic: options.resumeMaxEventsPerTopic ?? LIMIT_SETTINGS.resumeMaxEventsPerTopic.fallback,
      now,
    });
  const resumes = newResumeCounts();

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
      ...(options.maxPendingTopics === undefined ? {} : { maxPendingTopics: options.maxPendingTopics }),
      ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
      ...(options.ackRetryBackoff === undefined ? {} : { ackRetryBackoff: options.ackRetryBackoff }),
      onAckTimeout: () => bump(ackTimeouts, market),
      onUnsubscribeTimeout: () => bump(unsubscribeTimeouts, market),
      ...(access === 'public' ? { window } : {}),
      onIdleChange: (idle) => {
        if (hub === undefined || access === 'public') return;
        const h = hub;
        clearTimeout(h.lingerTimer);
        h.lingerTimer = idle ? setTimeout(() => void closeHub(h), options.connectionLingerMs ?? DEFAULT_CONNECTION_LINGER_MS) : undefined;
      },
      connected: () => hub?.connection.stats().state === 'open' && hub.connection.available(),
      ...(options.staleCheckMs === undefined ? {} : { staleCheckMs: options.staleCheckMs }),
      ...(options.probeAfterMs === undefined ? {} : { probeAfterMs: options.probeAfterMs }),
      onDeadTopic: () => bump(deadTopics, market),
    });
    const connection = openConnection({
      market,
      url: options.urls[market],
      credential,
      logger: log,
      now,
      retryOnRefusal: access === 'public',
      ...(access === 'private' ? { handshakeDelay: () => admission.reconnectDelay() } : {}),
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      isIdle: () => mux.isIdle(),
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_UPSTREAM_MAX_FRAME_BYTES,
      onOversized: () => mux.countOversized(),
      onStateChange: changed,
      onDown: () => mux.interruptAll(now()),
      onOpen: () => {
        if (access === 'private') admission.accepted(owner);
        mux.resubscribeAll();
      },
      onFrame: (frame, receivedAt) => mux.handleFrame(frame, receivedAt),
      onRefused: (status) => {
        admission.refused(owner);
        mux.failAll(refusedError(credential, status));
        if (hub !== undefined) void closeHub(hub);
      },
    });
    hub = { id, owner, market, access, connection, mux, lingerTimer: undefined };
    hubs.set(id, hub);
    return hub;
  };

  const refusedError = (credential: Credential, status: number) =>
    forbidden(
      `Coincall refused the API key ${maskKey(credential.apiKey)} (HTTP ${status}). Check the key, its secret and its permissions.`,
    );

  for (const market of MARKETS) openHub(market, options.serverCredential, 'public', 'public');
  const publicHubs = () => MARKETS.map((m) => hubs.get(`${m}:public`));

  /** The credentials (fingerprints) with private connections open or opening. */
  const privateOwners = (): Set<string> => new Set([...hubs.values()].filter((h) => h.access === 'private').map((h) => h.owner));

  /** The credential's hub for `market`, opened if admitted; throws FORBIDDEN or LIMIT_EXCEEDED otherwise. */
  const privateHub = (market: MarketName, credential: Credential, client: ClientRef | undefined): Hub => {
    const owner = fingerprint(credential);
    if (admission.isRefused(owner)) throw refusedError(credential, 403);
    const found = hubs.get(`${market}:${owner}`);
    if (found !== undefined) return found;
    const owners = privateOwners();
    if (!owners.has(owner) && owners.size >= maxPrivateCredentials)
      throw limitExceeded(
        `The gateway already serves private channels for ${maxPrivateCredentials} accounts, its limit (${LIMIT_SETTINGS.upstreamMaxPrivateAccounts.env}); try again once others have left.`,
      );
    admission.admit(owner, client?.address);
    return openHub(market, credential, 'private', owner);
  };

  /** The hub a subscription of `channel` goes to; throws when it may not have one. */
  const hubFor = (channel: AnyChannel, credential: Credential | undefined, client?: ClientRef): Hub => {
    if (closing !== undefined) throw upstreamRejected('The gateway is shutting down.');
    if (channel.access === 'private') {
      if (credential === undefined)
        throw unauthenticated(
          `${channel.id} is private: present your Coincall API key and secret (graphql-ws connectionParams { apiKey, apiSecret }, or headers X-Coincall-Api-Key / X-Coincall-Api-Secret).`,
        );
      return privateHub(channel.market, credential, client);
    }
    return hubs.get(`${channel.market}:public`) as Hub;
  };

  /** Who opens a topic: a new one costs the client a token of its budget and waits in its lane (subscriptions and Query twins alike). */
  const openerOf = (client: ClientRef | undefined) =>
    client === undefined ? undefined : { client: client.id, admit: () => admitTopic(client) };

  return {
    subscribe(channel, args, credential, subscribeOptions) {
      const client = subscribeOptions?.client;
      // A cursor is checked before anything is joined: a bad one subscribes nothing upstream.
      const after = channel.resumable === true ? afterOf(args) : undefined;
      const cursor = after === undefined ? undefined : checkCursor(channel, args, after, resumes, window);
      const { mux } = hubFor(channel, credential, client);
      const join = (listener: Listener) => mux.join(channel, args, listener, openerOf(client));
      const attach = {
        ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
        ...(options.eventQueueLimit === undefined ? {} : { eventQueueLimit: options.eventQueueLimit }),
        ...(subscribeOptions?.failureValue === undefined ? {} : { failureValue: subscribeOptions.failureValue }),
        ...(subscribeOptions?.onTake === undefined ? {} : { onTake: subscribeOptions.onTake }),
      };
      if (cursor === undefined) return attachSubscriber(join, channel, args, attach);
      return attachResuming(join, channel, args, { window, cursor, counts: resumes }, attach);
    },
    tap(channel, args, listener) {
      if (channel.access !== 'public') throw new Error(`${channel.id} is private: it is never tapped`);
      return hubFor(channel, undefined).mux.join(channel, args, listener);
    },
    ...recentMemory(window),
    async snapshot(channel, args, credential, snapshotOptions) {
      const client = snapshotOptions?.client;
      const after = channel.resumable === true ? afterOf(args) : undefined;
      const cursor = after === undefined ? undefined : checkCursor(channel, args, after, resumes, window);
      const { mux } = hubFor(channel, credential, client);
      const timeoutMs = options.querySnapshotTimeoutMs ?? LIMIT_SETTINGS.querySnapshotTimeoutMs.fallback;
      const join = (listener: Listener) => mux.join(channel, args, listener, openerOf(client));
      if (channel.resumable === true && channel.access === 'public')
        return takeTrades(join, channel, args, { window, cursor, limit: snapshotOptions?.limit ?? MAX_RECENT_TRADES, timeoutMs });
      return takeSnapshot(channel, join, timeoutMs);
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
        refusedCredentials: admission.refusedCount(),
        drops,
        ...counters.snapshot(all.map(counted)),
        ackTimeouts: listed(ackTimeouts),
        unsubscribeTimeouts: listed(unsubscribeTimeouts),
        deadTopics: listed(deadTopics),
        resumes: { ...resumes },
      };
    },
    ready: () => readinessOf(publicHubs(), now(), options.maxLagMs).ready,
    readiness: () => readinessOf(publicHubs(), now(), options.maxLagMs),
    onChange(listener) {
      changeListeners.add(listener);
      return () => void changeListeners.delete(listener);
    },
    close() {
      const drainMs = options.shutdownDrainMs ?? DEFAULT_SHUTDOWN_DRAIN_MS;
      closing ??= Promise.all([...hubs.values()].map((hub) => closeHub(hub, drainMs))).then(() => {
        // A window handed in belongs to whoever made it.
        if (options.resumeWindow === undefined) window.close();
      });
      return closing;
    },
  };
}
