/**
 * A replica's upstream (`Upstream`, what the GraphQL layer uses) in a
 * cluster: public channels go through a hub topic table whose source is the
 * cluster (`cluster-source.ts`: fed from the engine, holding topics on the own
 * Coincall source); private channels go straight to the Coincall source and
 * never reach the engine.
 *
 * Why a topic table over the cluster source rather than the Coincall source
 * driven directly: the table gives every public topic one shared listener set,
 * latest value and linger whatever feeds it (engine or own upstream), and the
 * Coincall source keeps its own pacing, acknowledgements and reconnects for
 * the topics this replica runs upstream (it is only tapped for them).
 *
 * The table's resume window is the engine's trades stream
 * (`stream-window.ts`): `after` on a trades subscription and the trades Query
 * twins read it, so a cursor taken on one replica resumes on any other.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import { upstreamRejected } from '../../lib/errors.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import type { Logger } from '../../lib/logger.ts';
import { MAX_RECENT_TRADES } from '../../channels/args.ts';
import { afterOf, attachResuming, checkCursor, newResumeCounts } from '../../hub/resume.ts';
import { takeSnapshot } from '../../hub/snapshot.ts';
import { takeTrades } from '../../hub/trades-query.ts';
import { attachSubscriber } from '../../hub/subscriber.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import { createTopicTable } from '../../hub/topic-table.ts';
import type { TopicInfo } from '../coincall/multiplexer.ts';
import type { Upstream, UpstreamStatus } from '../coincall/upstream-api.ts';
import { createClusterSource, type ClusterSource, type ClusterSourceOptions } from './cluster-source.ts';
import type { ClusterStatus } from './cluster-status.ts';
import { createStreamWindow } from './stream-window.ts';
import { createBadMessages } from './bad-messages.ts';

export interface ClusterUpstreamOptions extends Omit<ClusterSourceOptions, 'tap' | 'argsOf' | 'badMessages'> {
  /** This replica's own Coincall source (it must offer `tap`). */
  readonly inner: Upstream;
  readonly lingerMs?: number;
  readonly ackWaitMs?: number;
  readonly eventQueueLimit?: number;
  readonly querySnapshotTimeoutMs?: number;
  readonly logger: Logger;
}

/** A cluster topic in `status`: who holds it upstream, asked of the engine when read. */
export interface ClusterTopicInfo extends TopicInfo {
  holders(): Promise<string[]>;
}

export interface ClusterUpstreamStatus extends UpstreamStatus {
  readonly cluster: ClusterStatus;
  readonly topics: readonly ClusterTopicInfo[];
}

export interface ClusterUpstream extends Upstream {
  status(): ClusterUpstreamStatus;
  /** Resolves true once the engine is connected, or false after `timeoutMs`. */
  engineReady(timeoutMs: number): Promise<boolean>;
}

export function createClusterUpstream(options: ClusterUpstreamOptions): ClusterUpstream {
  const { inner } = options;
  const tap = inner.tap?.bind(inner);
  if (tap === undefined) throw new Error('the cluster needs an upstream that can be tapped');
  /** The arguments of the join being made: a join that opens a topic subscribes it synchronously, and the source keeps them. */
  let joining: unknown;
  let closing: Promise<void> | undefined;
  let source: ClusterSource | undefined;
  /** The engine's bad messages, met by the readers and the window alike. */
  const badMessages = createBadMessages(options.logger);
  const window = createStreamWindow({
    engine: () => source?.engine(),
    onBadMessage: badMessages.report,
    onReadError: (error) =>
      options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cluster: reading the trades stream failed'),
    onRead: (topic, messages) => options.logger.debug({ ...topic, messages }, 'cluster: read the trades stream'),
  });
  const resumes = newResumeCounts();
  const table = createTopicTable<ClusterSource>(
    { window, ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }) },
    (hub) =>
      createClusterSource(hub, {
        ...options,
        badMessages,
        tap,
        argsOf: () => joining,
        ...(inner.recentTrades === undefined ? {} : { recentTrades: inner.recentTrades.bind(inner) }),
        ...(inner.recentGaps === undefined ? {} : { recentGaps: inner.recentGaps.bind(inner) }),
      }),
  );
  const cluster = table.source;
  source = cluster;

  const join = (channel: AnyChannel, args: unknown, listener: Listener): TopicHandle => {
    if (closing !== undefined) throw upstreamRejected('The gateway is shutting down.');
    joining = args;
    try {
      return table.join(channel, args, listener);
    } finally {
      joining = undefined;
    }
  };

  const topics = (): ClusterTopicInfo[] =>
    [...table.topics()].map((t) => ({
      market: t.channel.market,
      channel: t.channel.id,
      dataType: t.channel.dataType,
      key: t.key,
      subscribers: t.subscribers,
      lastEventAt: t.lastEventAt,
      resubscribes: 0,
      holders: () => cluster.holders(t.channel, t.key),
    }));

  return {
    subscribe(channel, args, credential, subscribeOptions) {
      if (channel.access === 'private') return inner.subscribe(channel, args, credential, subscribeOptions);
      // A cursor is checked before anything is joined: a bad one subscribes nothing.
      const after = channel.resumable === true ? afterOf(args) : undefined;
      const cursor = after === undefined ? undefined : checkCursor(channel, args, after, resumes);
      const attach = {
        ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
        ...(options.eventQueueLimit === undefined ? {} : { eventQueueLimit: options.eventQueueLimit }),
        ...(subscribeOptions?.failureValue === undefined ? {} : { failureValue: subscribeOptions.failureValue }),
        ...(subscribeOptions?.onTake === undefined ? {} : { onTake: subscribeOptions.onTake }),
      };
      const joinTopic = (listener: Listener) => join(channel, args, listener);
      if (cursor === undefined) return attachSubscriber(joinTopic, channel, args, attach);
      return attachResuming(joinTopic, channel, args, { window, cursor, counts: resumes }, attach);
    },
    tap,
    async snapshot(channel, args, credential, snapshotOptions) {
      if (channel.access === 'private') return inner.snapshot(channel, args, credential, snapshotOptions);
      const timeoutMs = options.querySnapshotTimeoutMs ?? LIMIT_SETTINGS.querySnapshotTimeoutMs.fallback;
      const joinTopic = (listener: Listener) => join(channel, args, listener);
      if (channel.resumable !== true) return takeSnapshot(channel, joinTopic, timeoutMs);
      const after = afterOf(args);
      const cursor = after === undefined ? undefined : checkCursor(channel, args, after, resumes);
      return takeTrades(joinTopic, channel, args, { window, cursor, limit: snapshotOptions?.limit ?? MAX_RECENT_TRADES, timeoutMs });
    },
    status() {
      const own = inner.status();
      const mine = { replayed: resumes.replayed, expired: resumes.expired, refused: resumes.refused };
      const theirs = own.resumes;
      if (theirs !== undefined) for (const k of ['replayed', 'expired', 'refused'] as const) mine[k] += theirs[k];
      return { ...own, topics: topics(), cluster: cluster.status(), resumes: mine };
    },
    ready: () => inner.ready(),
    engineReady: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        if (cluster.status().engine === 'CONNECTED') return resolve(true);
        const timer = setTimeout(() => {
          off();
          resolve(false);
        }, timeoutMs);
        const off = cluster.onChange(() => {
          if (cluster.status().engine !== 'CONNECTED') return;
          clearTimeout(timer);
          off();
          resolve(true);
        });
      }),
    onChange(listener) {
      const offInner = inner.onChange(listener);
      const offCluster = cluster.onChange(listener);
      return () => {
        offInner();
        offCluster();
      };
    },
    close() {
      closing ??= (async () => {
        table.close();
        await cluster.stop();
        await inner.close();
      })();
      return closing;
    },
  };
}
