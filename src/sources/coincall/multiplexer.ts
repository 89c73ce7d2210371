/**
 * The multiplexer of one upstream connection: the topic table, the ack
 * tracker and the frame router, put together behind the interface the
 * gateway uses.
 *
 * A topic is (channel, routing key). Its first listener sends the upstream
 * subscribe; later listeners share it; after the last one leaves (and a short
 * linger) the unsubscribe goes out. Requests wait in the request scheduler
 * (fair across clients, batched, bounded: a new topic is refused while
 * UPSTREAM_MAX_PENDING_TOPICS requests wait). After a reconnect every live
 * topic is subscribed again. Each frame is parsed and decoded once, routed by dt and
 * key to its topic, turned into events once, and handed to every listener.
 */
import type { Backoff } from '../../lib/backoff.ts';
import { limitExceeded } from '../../lib/errors.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import type { Logger } from '../../lib/logger.ts';
import { truncateForLog } from '../../lib/truncate.ts';
import type { Frame, MarketName } from '../../coincall/protocol.ts';
import type { AnyChannel } from '../../channels/channel.ts';
import { createAckTracker } from './ack-tracker.ts';
import { createFrameRouter, type DropCounters } from './frame-router.ts';
import { createRequestScheduler } from './request-scheduler.ts';
import type { Listener, Topic } from '../../hub/topic.ts';
import { createTopicTable, type TopicHandle } from '../../hub/topic-table.ts';
import { startStaleWatch } from './stale-watch.ts';

export { DEFAULT_THROTTLE_RETRIES, defaultThrottleBackoff } from './ack-tracker.ts';
export type { DropCounters } from './frame-router.ts';
export type { Listener } from '../../hub/topic.ts';
export { DEFAULT_LINGER_MS, type TopicHandle } from '../../hub/topic-table.ts';

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
}

export interface MultiplexerOptions {
  readonly market: MarketName;
  /** Queues a request on the connection; `onWritten` runs once it reaches the socket. */
  readonly send: (text: string, onWritten?: () => void) => void;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly lingerMs?: number;
  /** Re-sends of a throttled subscribe before its topic fails (default DEFAULT_THROTTLE_RETRIES). */
  readonly throttleRetries?: number;
  /** Delay before re-send n (0-based) of a throttled subscribe (default defaultThrottleBackoff). */
  readonly throttleBackoff?: Backoff;
  /** Called when the number of topics goes to zero or away from it. */
  readonly onIdleChange?: (idle: boolean) => void;
  /** Whether the connection is alive (stale topics are only looked for then). */
  readonly connected?: () => boolean;
  /** How often topics are checked for staleness (default DEFAULT_STALE_CHECK_MS). */
  readonly staleCheckMs?: number;
  /** Requests that may wait before new topics are refused (default UPSTREAM_MAX_PENDING_TOPICS's). */
  readonly maxPendingTopics?: number;
}

/** Who opens a topic, if the join opens one. */
export interface Opening {
  /** The client's id: its subscribes wait in its own lane. */
  readonly client?: string;
  /** Asked before a new topic opens (never for a shared one); throws to refuse it. */
  readonly admit?: () => void;
}

export interface Multiplexer {
  /** Joins (or opens) the topic of `channel` for `args`; `listener` gets every event. Throws LIMIT_EXCEEDED. */
  join(channel: AnyChannel, args: unknown, listener: Listener, opening?: Opening): TopicHandle;
  /** Feeds one frame from the connection. */
  handleFrame(frame: Frame, receivedAt: number): void;
  /** The connection (re)opened: subscribe every live topic again. */
  resubscribeAll(): void;
  /** The connection dropped at `at`: every topic's stream is interrupted until it is answered again. */
  interruptAll(at: number): void;
  /** Fails every topic (the credential was refused, or shutdown). */
  failAll(error: Error): void;
  topics(): TopicInfo[];
  /** No topic is live (lingering ones count as live: they are still subscribed upstream). */
  isIdle(): boolean;
  readonly drops: Readonly<DropCounters>;
  /** Counts a frame the connection refused for its size. */
  countOversized(): void;
  /** Data frames received, by channel id. */
  readonly frames: Readonly<Record<string, number>>;
  close(): void;
}

export function createMultiplexer(options: MultiplexerOptions): Multiplexer {
  const { market, send, logger } = options;
  const maxPending = options.maxPendingTopics ?? LIMIT_SETTINGS.upstreamMaxPendingTopics.fallback;
  /** The client of the join under way (read by `opened`, which runs inside it). */
  let openedBy: string | undefined;
  const table = createTopicTable({
    ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    ...(options.onIdleChange === undefined ? {} : { onIdleChange: options.onIdleChange }),
    opened: (topic) => {
      if (openedBy !== undefined) scheduler.own(topic, openedBy);
      acks.subscribe(topic);
    },
    expired: (topic) => scheduler.unsubscribe(topic),
  });
  const scheduler = createRequestScheduler({
    send,
    isLive: (topic) => table.has(topic),
    written: (request) => acks.written(request),
    // A stale topic's unsubscribe went out: now its subscribe (the exchange sends a fresh snapshot).
    renewed: (topic) => acks.subscribe(topic),
  });
  const fail = (topic: Topic, error: Error) => {
    topic.fail(error);
    table.remove(topic);
  };
  const acks = createAckTracker({
    market,
    table,
    schedule: (topic, scheduleOptions) => scheduler.subscribe(topic, scheduleOptions),
    fail,
    logger,
    now: options.now ?? Date.now,
    ...(options.throttleRetries === undefined ? {} : { throttleRetries: options.throttleRetries }),
    ...(options.throttleBackoff === undefined ? {} : { throttleBackoff: options.throttleBackoff }),
  });
  const router = createFrameRouter({ market, table, logger, answered: (topic) => acks.answered(topic) });
  const now = options.now ?? Date.now;
  const stale = startStaleWatch({
    market,
    logger,
    now,
    topics: () => table.all(),
    connected: options.connected ?? (() => true),
    resubscribe: (topic) => {
      topic.interrupt(now());
      // Not answered any more: the sweeps leave it alone until the exchange answers the new subscribe.
      topic.sending(0);
      scheduler.resubscribe(topic);
    },
    ...(options.staleCheckMs === undefined ? {} : { checkEveryMs: options.staleCheckMs }),
  });

  return {
    drops: router.drops,
    frames: router.frames,
    countOversized: () => router.drop('oversized', 'frame over UPSTREAM_MAX_FRAME_BYTES'),
    join(channel, args, listener, opening) {
      if (table.find(channel, channel.topic(args).key) === undefined) {
        if (scheduler.pending() >= maxPending)
          throw limitExceeded(
            `${maxPending} requests already wait to go to Coincall on the ${market} connection (${LIMIT_SETTINGS.upstreamMaxPendingTopics.env}); try again in a few seconds.`,
          );
        opening?.admit?.();
      }
      openedBy = opening?.client;
      try {
        return table.join(channel, args, listener);
      } finally {
        openedBy = undefined;
      }
    },
    handleFrame(frame, receivedAt) {
      switch (frame.kind) {
        case 'data':
          return router.route(frame.dt, frame.d, frame.ts, receivedAt);
        case 'ack':
          return acks.handleAck(frame);
        case 'invalid':
          return router.drop('undecodable', frame.reason);
        case 'notice':
          if (!acks.handleNotice(frame.message)) logger.warn({ market, message: truncateForLog(frame.message) }, 'upstream notice');
          return;
        case 'heartbeat':
        case 'connect':
          return;
      }
    },
    resubscribeAll() {
      scheduler.reset();
      for (const topic of table.all()) acks.subscribe(topic);
    },
    interruptAll(at) {
      for (const topic of table.all()) topic.interrupt(at);
    },
    failAll(error) {
      for (const topic of [...table.all()]) fail(topic, error);
    },
    isIdle: () => table.size === 0,
    topics: () =>
      [...table.all()].map((t) => ({
        market,
        channel: t.channel.id,
        dataType: t.channel.dataType,
        key: t.key,
        subscribers: t.listeners.size,
        lastEventAt: t.lastEventAt,
        resubscribes: t.resubscribes,
      })),
    close() {
      stale.stop();
      for (const topic of [...table.all()]) {
        topic.end();
        table.remove(topic);
        scheduler.unsubscribe(topic);
      }
      scheduler.flush();
    },
  };
}
