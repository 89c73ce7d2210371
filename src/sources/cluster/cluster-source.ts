/**
 * The cluster's topic source (a `TopicSource`, see hub/source-port.ts) for
 * PUBLIC topics: every topic a client of this replica opens is read from the
 * engine (`reader.ts`), declared as this replica's interest, and taken part
 * in the holdings (`holdings.ts`): when this replica takes one of the topic's
 * leases it runs the topic on its own Coincall source and publishes its events
 * into the engine (`holder.ts`) until the lease is lost or released. While the
 * engine is unreachable every topic is served from the own upstream; back on
 * it, a trades topic's time served alone is judged once its holders had their
 * chance to catch up (`engine-gaps.ts`), and marked only where nothing filled it.
 *
 * Private channels never reach this source (`cluster-upstream.ts` routes them
 * to the Coincall source); `clusterTopicOf` refuses one.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { HubPort, SourceTopic, TopicSource } from '../../hub/source-port.ts';
import type { Logger } from '../../lib/logger.ts';
import { errorText } from '../../lib/errors.ts';
import { throttledWarn } from '../../lib/throttled-log.ts';
import { checkMessages } from './message-check.ts';
import { clusterTopicOf, eventTopicOfId } from './cluster-topic.ts';
import type { Engine, EngineSettings } from './engine.ts';
import { linkEngine, type EngineLink } from './engine-link.ts';
import { startHolder, type Holder } from './holder.ts';
import { createHoldings, type Holdings } from './holdings.ts';
import { createPresence, type Presence } from './presence.ts';
import { createPublisher, type Publisher, type PublishResult } from './publisher.ts';
import { reportGap } from './gap-report.ts';
import { createGapCounts } from './gap-counts.ts';
import { createEngineGaps, ENGINE_GAP_WAIT_TTLS, type WaitTimer } from './engine-gaps.ts';
import { hopSeconds } from './engine-latency.ts';
import type { BadMessages } from './bad-messages.ts';
import { startReader, type Reader, type ReaderOptions } from './reader.ts';
import type { ClusterStatus } from './cluster-status.ts';
import type { ClusterTopic } from './subjects.ts';

export interface ClusterSourceOptions {
  readonly engine: EngineSettings;
  readonly node: string;
  readonly leaseTtlMs: number;
  readonly eventPublishers: number;
  /** Joins a public topic on this replica's own Coincall source (Upstream.tap). */
  readonly tap: (channel: AnyChannel, args: unknown, listener: Listener) => TopicHandle;
  /** The GraphQL arguments a topic was opened with (the own upstream needs them). */
  readonly argsOf: (topic: SourceTopic) => unknown;
  /** What the own Coincall source received lately of a trades topic, oldest first (Upstream.recentTrades). */
  readonly recentTrades?: (channel: AnyChannel, key: string, limit: number) => Promise<readonly unknown[]>;
  /** The own Coincall source's gaps of a trades topic ending after `since` (Upstream.recentGaps). */
  readonly recentGaps?: (channel: AnyChannel, key: string, since: number) => Promise<ReadonlyArray<{ since: number; until: number }>>;
  readonly logger: Logger;
  readonly badMessages: BadMessages;
  readonly now?: () => number;
  readonly feed?: ReaderOptions['feed'];
  /** Opens the engine (tests); default openEngine. */
  readonly openEngine?: (settings: EngineSettings) => Promise<Engine>;
  /** The engine hop of each message read live (its holder's stamp to its arrival here, `engine-latency.ts`), by topic kind. */
  readonly observeEngineLatency?: (kind: ClusterTopic['kind'], seconds: number) => void;
  /** How long a reader's time alone waits for the holders' catch-up before it is judged (default `ENGINE_GAP_WAIT_TTLS` lease TTLs). */
  readonly engineGapWaitMs?: number;
  /** The timer of that wait (tests). */
  readonly engineGapTimer?: WaitTimer;
}

/** The log line of a reader's time alone judged (`engine-gaps.ts`). */
export const ENGINE_GAP_JUDGED = 'cluster: back on the engine after serving alone';
const WAIT_AGAIN = 'cluster: gap judgement cut short by the engine going away; it waits for the next return';
/** Trades of its own upstream a replica hands on when the engine may lack them (a holder's catch-up, a reader going local). */
export const RECENT_UPSTREAM_ITEMS = 1_000;

export interface ClusterSource extends TopicSource<ClusterStatus> {
  /** The nodes holding the topic's upstream subscription now (empty while the engine is unreachable). */
  holders(channel: AnyChannel, key: string): Promise<string[]>;
  /** The engine while it is connected (the resume window reads it). */
  engine(): Engine | undefined;
  /** Calls `listener` when the engine comes or goes; returns its removal. */
  onChange(listener: () => void): () => void;
  /** Releases every lease, leaves the engine. */
  stop(): Promise<void>;
}

interface Opened {
  readonly topic: SourceTopic;
  readonly cluster: ClusterTopic;
  readonly args: unknown;
  readonly reader: Reader;
}

export function createClusterSource(hub: HubPort, options: ClusterSourceOptions): ClusterSource {
  const { logger, node, now = Date.now } = options;
  const opened = new Map<SourceTopic, Opened>();
  const byId = new Map<string, Opened>();
  const holders = new Map<string, Holder>();
  const listeners = new Set<() => void>();
  const publishes: Record<PublishResult, number> = { stored: 0, duplicate: 0, refused: 0 };
  const gapCounts = createGapCounts();
  const taken = { takeovers: 0, handovers: 0 };
  let membership: { presence: Presence; holdings: Holdings; publisher: Publisher } | undefined;
  let stopping: Promise<void> | undefined;

  const engineNow = (): Engine | undefined => (link.up ? link.engine : undefined);
  const recentOf = (topic: Pick<SourceTopic, 'channel' | 'key'>) => (): Promise<readonly unknown[]> =>
    options.recentTrades?.(topic.channel, topic.key, RECENT_UPSTREAM_ITEMS) ?? Promise.resolve([]);

  /** A reader's time alone, judged once the holders had their chance to catch up (`engine-gaps.ts`). */
  const engineGaps = createEngineGaps({
    waitMs: options.engineGapWaitMs ?? ENGINE_GAP_WAIT_TTLS * options.leaseTtlMs,
    ...(options.engineGapTimer === undefined ? {} : { timer: options.engineGapTimer }),
    report: async (cluster, gap) => {
      const engine = engineNow();
      if (engine === undefined || membership === undefined) throw new Error('the engine is unreachable again, or not joined yet');
      const channel = byId.get(cluster.id)?.topic.channel; // read through the boundary's check: a forged message is no cover
      const check = channel === undefined ? {} : { check: checkMessages(channel, cluster.id, options.badMessages.report) };
      return reportGap({ engine, publisher: membership.publisher, topic: cluster, node, gap, cutOff: true, ...check });
    },
    onJudged: (cluster, { since, until }, outcome, { early, error }) => {
      gapCounts.count('ENGINE', outcome);
      if (error === undefined) return logger.info({ topic: cluster.id, since, until, outcome, early }, ENGINE_GAP_JUDGED);
      logger.warn({ topic: cluster.id, since, until, err: errorText(error) }, 'cluster: gap not marked');
    },
    onWaitAgain: (cluster, { since, until }, error) => logger.info({ topic: cluster.id, since, until, err: errorText(error) }, WAIT_AGAIN),
  });

  const join = (engine: Engine) => {
    if (membership !== undefined) return;
    const ttlMs = options.leaseTtlMs;
    const onError = throttledWarn(logger, 'cluster round failed (engine unreachable, or the lease bucket not listed in time?)');
    const presence = createPresence({ kv: engine.kv, names: engine.names, node, ttlMs, onError, logger });
    const publisher = createPublisher({ js: engine.js, names: engine.names, node, count: (result) => publishes[result]++ });
    const holdings = createHoldings({
      kv: engine.kv,
      names: engine.names,
      node,
      ttlMs,
      eventPublishers: options.eventPublishers,
      presence,
      onError,
      onTakeover: () => taken.takeovers++,
      onHandover: () => taken.handovers++,
      hold: (cluster, lease) => {
        const entry = byId.get(cluster.id) ?? eventTopicOfId(cluster.id); // held for other replicas' clients only: rebuilt from its id
        if (entry === undefined) return void lease.release();
        holders.get(cluster.id)?.stop();
        const engineLink = (e = engineNow()) => (e === undefined ? undefined : { engine: e, publisher });
        holders.set(
          cluster.id,
          startHolder({
            topic: cluster,
            channel: entry.topic.channel,
            args: entry.args,
            lease,
            tap: options.tap,
            engine: engineLink,
            now,
            logger,
            node,
            onGap: (outcome, gap) => gapCounts.count(gap.reason, outcome),
            othersHold: async () => (await holdings.holders(cluster)).some((holder) => holder !== node),
            recentUpstream: recentOf(entry.topic),
            recentGaps: (since) => options.recentGaps?.(entry.topic.channel, entry.topic.key, since) ?? Promise.resolve([]),
            reportBad: options.badMessages.report,
          }),
        );
        logger.info({ topic: cluster.id }, 'cluster: holding topic');
      },
      drop: (cluster, reason) => {
        holders.get(cluster.id)?.stop();
        holders.delete(cluster.id);
        logger.info({ topic: cluster.id, reason }, 'cluster: topic no longer held');
      },
    });
    membership = { presence, holdings, publisher };
    void presence.start();
    for (const entry of opened.values()) holdings.want(entry.cluster);
  };

  const changed = (up: boolean) => {
    const engine = engineNow();
    if (up && engine !== undefined) join(engine);
    if (engine === undefined) engineGaps.pause();
    else engineGaps.resume();
    for (const entry of opened.values()) entry.reader.follow(engine);
    for (const listener of [...listeners]) listener();
  };

  const link: EngineLink = linkEngine({
    settings: options.engine,
    logger,
    onChange: changed,
    ...(options.openEngine === undefined ? {} : { open: options.openEngine }),
  });

  /** Feeds that failed to open while the engine was up are tried again each renewal period. */
  const retry = setInterval(
    () => {
      const engine = engineNow();
      if (engine !== undefined) for (const entry of opened.values()) entry.reader.follow(engine);
    },
    Math.max(100, Math.floor(options.leaseTtlMs / 3)),
  );

  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(retry);
      for (const entry of opened.values()) entry.reader.stop();
      await engineGaps.flush();
      opened.clear();
      await membership?.holdings.stop().catch(() => undefined);
      await membership?.presence.stop().catch(() => undefined);
      for (const holder of holders.values()) holder.stop();
      holders.clear();
      await link.close();
    })());

  /** This replica was cut off from the engine: the gap goes into the stream unless the stream shows that time filled or said. */
  const engineGap = (cluster: ClusterTopic, since: number, until: number, ranUpstream: boolean) => {
    // It held the topic and its upstream ran all along: a holder's catch-up stores the trades of that time (or marks what it lacks).
    if (ranUpstream)
      return logger.info({ topic: cluster.id, since, until }, 'cluster: back on the engine after serving alone; its holder catches up');
    logger.info({ topic: cluster.id, since, until }, 'cluster: back on the engine after serving alone; judged once the holders caught up');
    engineGaps.defer(cluster, since, until);
  };

  const heldByMarket = () => {
    const counts: Record<string, number> = {};
    for (const holder of holders.values()) counts[holder.topic.market] = (counts[holder.topic.market] ?? 0) + 1;
    return counts;
  };

  return {
    subscribe(topic) {
      const cluster = clusterTopicOf(topic.channel, topic.key);
      const args = options.argsOf(topic);
      const reader = startReader({
        hub,
        topic,
        cluster,
        args,
        tap: options.tap,
        runningUpstream: () => holders.get(cluster.id)?.answered === true,
        recentUpstream: recentOf(topic),
        reportEngineGap: (since, until, ranUpstream) => engineGap(cluster, since, until, ranUpstream),
        onBehind: () => gapCounts.count('ENGINE', 'behind'),
        reportBad: options.badMessages.report,
        onEngineMessage: (message) => {
          if (message.heldAt !== undefined) options.observeEngineLatency?.(cluster.kind, hopSeconds(message.heldAt));
          if (cluster.kind === 'event') engineGaps.heard(cluster.id, message);
        },
        now,
        logger,
        feed: options.feed,
      });
      const entry: Opened = { topic, cluster, args, reader };
      opened.set(topic, entry);
      byId.set(cluster.id, entry);
      membership?.holdings.want(cluster);
      reader.follow(engineNow());
    },
    unsubscribe(topic) {
      const entry = opened.get(topic);
      if (entry === undefined) return;
      opened.delete(topic);
      byId.delete(entry.cluster.id);
      entry.reader.stop();
      membership?.holdings.unwant(entry.cluster);
    },
    close() {
      void stop();
    },
    status: () => ({
      node,
      engine: link.up ? 'CONNECTED' : 'DISCONNECTED',
      replicas: async () => {
        if (!link.up || membership === undefined) return [node];
        // A key rewritten while it is listed may be listed twice.
        const alive = await membership.presence.replicas().catch(() => [node]);
        return [...new Set([...alive, node])].sort();
      },
      topicsHeld: holders.size,
      topicsHeldByMarket: heldByMarket(),
      ...taken,
      publishes: { ...publishes },
      gapMarkers: gapCounts.snapshot(),
      badMessages: options.badMessages.snapshot(),
      engineRepairs: link.repairs(),
      feedsGone: [...opened.values()].filter((entry) => entry.reader.streamGone).length,
    }),
    holders: async (channel, key) => {
      if (!link.up || membership === undefined) return [];
      return membership.holdings.holders(clusterTopicOf(channel, key)).catch(() => []);
    },
    engine: () => engineNow(),
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop,
  };
}
