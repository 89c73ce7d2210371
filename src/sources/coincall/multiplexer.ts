/**
 * The multiplexer of one upstream connection: a hub topic table whose source
 * (`TopicSource`, see hub/source-port.ts) is this connection's ack tracker,
 * request scheduler, frame router and stale watch, put together behind the
 * interface the Coincall source uses.
 *
 * A topic is (channel, routing key). Its first listener sends the upstream
 * subscribe; later listeners share it; after the last one leaves (and a short
 * linger) the unsubscribe goes out. Requests wait in the request scheduler
 * (fair across clients, batched, bounded: a new topic is refused while
 * UPSTREAM_MAX_PENDING_TOPICS requests wait). After a reconnect every live
 * topic is subscribed again. A subscribe never overtakes its topic's unanswered
 * unsubscribe (`unsubscribe-tracker.ts`, bounded by the ack deadline). Each frame is parsed and decoded once, routed by dt and
 * key to its topic, turned into events once, and handed to every listener.
 */
import type { Backoff } from '../../lib/backoff.ts';
import { limitExceeded } from '../../lib/errors.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import type { Logger } from '../../lib/logger.ts';
import { truncateForLog } from '../../lib/truncate.ts';
import type { Frame, MarketName } from '../../coincall/protocol.ts';
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, Opener, TopicHandle } from '../../hub/listener.ts';
import type { HubPort, SourceTopic, TopicSource } from '../../hub/source-port.ts';
import type { ResumeWindow } from '../../hub/resume-window.ts';
import { createTopicTable } from '../../hub/topic-table.ts';
import { createAckTracker, DEFAULT_ACK_TIMEOUT_MS, type OverdueTopic } from './ack-tracker.ts';
import { createFrameRouter, type DropCounters } from './frame-router.ts';
import { createRequestScheduler } from './request-scheduler.ts';
import { startStaleWatch } from './stale-watch.ts';
import { createUnsubscribeTracker } from './unsubscribe-tracker.ts';

export { DEFAULT_ACK_TIMEOUT_MS, type OverdueTopic } from './ack-tracker.ts';
export { DEFAULT_THROTTLE_RETRIES, defaultThrottleBackoff } from './throttle-policy.ts';
export type { DropCounters } from './frame-router.ts';
export type { Listener, Opener, TopicHandle } from '../../hub/listener.ts';
export { DEFAULT_LINGER_MS } from '../../hub/topic-table.ts';

export interface TopicInfo {
  readonly market: MarketName;
  readonly channel: string;
  readonly dataType: string;
  readonly key: string;
  readonly subscribers: number;
  /** When its latest data arrived. */
  readonly lastEventAt: number | undefined;
  /** Times it was resubscribed because it went silent on a live connection. */
  readonly resubscribes: number;
  /** In a cluster: the nodes holding its upstream subscription now (asked of the engine). */
  readonly holders?: () => Promise<string[]>;
}

export interface MultiplexerOptions {
  readonly market: MarketName;
  /** Queues a request on the connection; `onWritten` runs once it reaches the socket. */
  readonly send: (text: string, onWritten?: () => void) => void;
  /** Bound to the connection's market (and access): its lines do not repeat them. */
  readonly logger: Logger;
  readonly now?: () => number;
  readonly lingerMs?: number;
  /** Re-sends of a throttled subscribe before its topic fails (default DEFAULT_THROTTLE_RETRIES). */
  readonly throttleRetries?: number;
  /** Delay before re-send n (0-based) of a throttled subscribe (default defaultThrottleBackoff). */
  readonly throttleBackoff?: Backoff;
  /** How long a written subscribe may stay unanswered before it is sent again (default DEFAULT_ACK_TIMEOUT_MS). */
  readonly ackTimeoutMs?: number;
  /** Delay before re-send n (0-based) of an overdue subscribe. */
  readonly ackRetryBackoff?: Backoff;
  /** A subscribe went unanswered past its deadline (counted for the operator). */
  readonly onAckTimeout?: () => void;
  /** An unsubscribe went unanswered past the same deadline and was taken as done (counted for the operator). */
  readonly onUnsubscribeTimeout?: () => void;
  /** Called when the number of topics goes to zero or away from it. */
  readonly onIdleChange?: (idle: boolean) => void;
  /** Whether the connection is alive (stale topics are only looked for then). */
  readonly connected?: () => boolean;
  /** How often topics are checked for staleness (default DEFAULT_STALE_CHECK_MS). */
  readonly staleCheckMs?: number;
  /** Silence before a trades topic is probed (default DEFAULT_PROBE_AFTER_MS). */
  readonly probeAfterMs?: number;
  /** A probed topic turned out dead (missed items were delivered; `gap`: some may be lost). */
  readonly onDeadTopic?: (gap: boolean) => void;
  /** Requests that may wait before new topics are refused (default UPSTREAM_MAX_PENDING_TOPICS's). */
  readonly maxPendingTopics?: number;
  /** Where trades topics retain their trades for `after` (public connections only). */
  readonly window?: ResumeWindow;
}

/** What the multiplexer reports of its topics and frames. */
export interface MultiplexerStatus {
  readonly topics: TopicInfo[];
  readonly drops: Readonly<DropCounters>;
  /** Data frames received, by channel id. */
  readonly frames: Readonly<Record<string, number>>;
}

export interface Multiplexer {
  /** Joins (or opens) the topic of `channel` for `args`; `listener` gets every event. Throws LIMIT_EXCEEDED. */
  join(channel: AnyChannel, args: unknown, listener: Listener, opener?: Opener): TopicHandle;
  /** Feeds one frame from the connection. */
  handleFrame(frame: Frame, receivedAt: number): void;
  /** The connection (re)opened: subscribe every live topic again. */
  resubscribeAll(): void;
  /** The connection dropped at `at`: every topic's stream is interrupted until it is answered again. */
  interruptAll(at: number): void;
  /** Fails every topic (the credential was refused, or shutdown). */
  failAll(error: Error): void;
  topics(): TopicInfo[];
  /** The topics whose subscribe is unanswered past its deadline, oldest first. */
  overdue(): OverdueTopic[];
  /** No topic is live (lingering ones count as live: they are still subscribed upstream). */
  isIdle(): boolean;
  readonly drops: Readonly<DropCounters>;
  /** Counts a frame the connection refused for its size. */
  countOversized(): void;
  /** Data frames received, by channel id. */
  readonly frames: Readonly<Record<string, number>>;
  close(): void;
}

/** The exchange side of one connection's topics: the hub's source, and what the multiplexer drives directly. */
interface CoincallTopics extends TopicSource<MultiplexerStatus> {
  readonly hub: HubPort;
  handleFrame(frame: Frame, receivedAt: number): void;
  resubscribeAll(): void;
  /** Fails the topic: forgotten here (no unsubscribe goes out), failed in the hub. */
  fail(topic: SourceTopic, error: Error): void;
  countOversized(): void;
  overdue(): OverdueTopic[];
  readonly drops: Readonly<DropCounters>;
  readonly frames: Readonly<Record<string, number>>;
}

function connectCoincall(hub: HubPort, options: MultiplexerOptions): CoincallTopics {
  const { market, send, logger } = options;
  const now = options.now ?? Date.now;
  const maxPending = options.maxPendingTopics ?? LIMIT_SETTINGS.upstreamMaxPendingTopics.fallback;
  const scheduler = createRequestScheduler({
    send,
    isLive: (topic) => acks.tracks(topic),
    written: (request) => {
      acks.written(request);
      unsubscribes.written(request);
    },
    // A stale topic's unsubscribe went out: now its subscribe (the exchange sends a fresh snapshot).
    renewed: (topic) => acks.subscribe(topic),
  });
  const unsubscribes = createUnsubscribeTracker({
    logger,
    now,
    timeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    ...(options.onUnsubscribeTimeout === undefined ? {} : { onTimeout: options.onUnsubscribeTimeout }),
  });
  const acks = createAckTracker({
    hub,
    // After its topic's unanswered unsubscribe (answered, or past its deadline), never before it.
    schedule: (topic, scheduleOptions) =>
      unsubscribes.hold(topic, () => acks.subscribe(topic)) ? false : scheduler.subscribe(topic, scheduleOptions),
    logger,
    now,
    ...(options.throttleRetries === undefined ? {} : { throttleRetries: options.throttleRetries }),
    ...(options.throttleBackoff === undefined ? {} : { throttleBackoff: options.throttleBackoff }),
    ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
    ...(options.ackRetryBackoff === undefined ? {} : { ackRetryBackoff: options.ackRetryBackoff }),
    ...(options.onAckTimeout === undefined ? {} : { onOverdue: options.onAckTimeout }),
  });
  const router = createFrameRouter({ market, hub, logger, answered: (topic) => acks.answered(topic) });
  const stale = startStaleWatch({
    logger,
    now,
    topics: () => hub.topics(),
    answered: (topic) => acks.state(topic)?.kind === 'answered',
    connected: options.connected ?? (() => true),
    resubscribe: (topic) => {
      hub.interrupted(now(), topic);
      // Not answered any more: the sweeps leave it alone until the exchange answers the new subscribe.
      acks.renewing(topic);
      scheduler.resubscribe(topic);
    },
    probe: (topic) => {
      hub.probe?.(topic, ({ missed, gap }) => {
        logger.warn(
          { channel: topic.channel.id, key: topic.key, missed, gap },
          gap
            ? 'upstream trades topic was dead on a live connection; delivered what the exchange still had, some trades may be lost (STREAM_INTERRUPTED)'
            : 'upstream trades topic was dead on a live connection; delivered the trades it missed',
        );
        options.onDeadTopic?.(gap);
      });
      acks.renewing(topic);
      scheduler.resubscribe(topic);
    },
    ...(options.probeAfterMs === undefined ? {} : { probeAfterMs: options.probeAfterMs }),
    ...(options.staleCheckMs === undefined ? {} : { checkEveryMs: options.staleCheckMs }),
  });
  const infoOf = (t: SourceTopic): TopicInfo => ({
    market,
    channel: t.channel.id,
    dataType: t.channel.dataType,
    key: t.key,
    subscribers: t.subscribers,
    lastEventAt: t.lastEventAt,
    resubscribes: stale.resubscribesOf(t),
  });

  return {
    hub,
    drops: router.drops,
    frames: router.frames,
    countOversized: () => router.drop('oversized', 'frame over UPSTREAM_MAX_FRAME_BYTES'),
    overdue: () => acks.overdue(),
    admit() {
      if (scheduler.pending() >= maxPending)
        throw limitExceeded(
          `${maxPending} requests already wait to go to Coincall on the ${market} connection (${LIMIT_SETTINGS.upstreamMaxPendingTopics.env}); try again in a few seconds.`,
        );
    },
    subscribe(topic, client) {
      // The opener's lane holds this topic's subscribes, re-sends included.
      if (client !== undefined) scheduler.own(topic, client);
      acks.track(topic);
    },
    unsubscribe(topic) {
      // Its subscribe waited for an earlier unsubscribe and never went out: nothing to undo upstream.
      if (unsubscribes.drop(topic)) {
        acks.forget(topic);
        return;
      }
      const answered = acks.state(topic)?.kind === 'answered';
      acks.forget(topic);
      scheduler.unsubscribe(topic, answered);
    },
    close() {
      stale.stop();
      acks.close();
      unsubscribes.close();
      scheduler.flush();
    },
    fail(topic, error) {
      unsubscribes.drop(topic);
      acks.fail(topic, error);
    },
    status: () => ({ topics: [...hub.topics()].map(infoOf), drops: router.drops, frames: router.frames }),
    handleFrame(frame, receivedAt) {
      switch (frame.kind) {
        case 'data':
          return router.route(frame.dt, frame.d, frame.ts, receivedAt);
        case 'ack':
          if (!unsubscribes.handleAck(frame)) acks.handleAck(frame);
          return;
        case 'invalid':
          return router.drop('undecodable', frame.reason);
        case 'notice':
          if (!acks.handleNotice(frame.message)) logger.warn({ message: truncateForLog(frame.message) }, 'upstream notice');
          return;
        case 'heartbeat':
        case 'connect':
          return;
      }
    },
    resubscribeAll() {
      unsubscribes.reset();
      scheduler.reset();
      for (const topic of hub.topics()) acks.subscribe(topic);
    },
  };
}

export function createMultiplexer(options: MultiplexerOptions): Multiplexer {
  const table = createTopicTable(
    {
      ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
      ...(options.onIdleChange === undefined ? {} : { onIdleChange: options.onIdleChange }),
      ...(options.window === undefined ? {} : { window: options.window }),
    },
    (hub) => connectCoincall(hub, options),
  );
  const coincall = table.source;
  return {
    drops: coincall.drops,
    frames: coincall.frames,
    countOversized: () => coincall.countOversized(),
    join: (channel, args, listener, opener) => table.join(channel, args, listener, opener),
    handleFrame: (frame, receivedAt) => coincall.handleFrame(frame, receivedAt),
    resubscribeAll: () => coincall.resubscribeAll(),
    interruptAll: (at) => coincall.hub.interrupted(at),
    failAll(error) {
      for (const topic of [...table.topics()]) coincall.fail(topic, error);
    },
    isIdle: () => table.size === 0,
    overdue: () => coincall.overdue(),
    topics: () => coincall.status().topics,
    close: () => table.close(),
  };
}
