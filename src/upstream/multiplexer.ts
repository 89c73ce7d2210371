/**
 * The multiplexer of one upstream connection: the topic table, the ack
 * tracker and the frame router, put together behind the interface the
 * gateway uses.
 *
 * A topic is (channel, routing key). Its first listener sends the upstream
 * subscribe; later listeners share it; after the last one leaves (and a short
 * linger) the unsubscribe goes out. After a reconnect every live topic is
 * subscribed again. Each frame is parsed and decoded once, routed by dt and
 * key to its topic, turned into events once, and handed to every listener.
 */
import type { Backoff } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { truncateForLog } from '../lib/truncate.ts';
import { unsubscribeRequest, type Frame, type MarketName } from '../coincall/protocol.ts';
import type { AnyChannel } from '../channels/channel.ts';
import { createAckTracker } from './ack-tracker.ts';
import { createFrameRouter, type DropCounters } from './frame-router.ts';
import type { Listener, Topic } from './topic.ts';
import { createTopicTable, type TopicHandle } from './topic-table.ts';

export { DEFAULT_THROTTLE_RETRIES, defaultThrottleBackoff } from './ack-tracker.ts';
export type { DropCounters } from './frame-router.ts';
export type { Listener } from './topic.ts';
export { DEFAULT_LINGER_MS, type TopicHandle } from './topic-table.ts';

export interface TopicInfo {
  readonly market: MarketName;
  readonly channel: string;
  readonly dataType: string;
  readonly key: string;
  readonly subscribers: number;
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
  /** Called once per routed data frame (metrics: delivery latency). */
  readonly onRouted?: (channel: string, frameTs: number | undefined) => void;
}

export interface Multiplexer {
  /** Joins (or opens) the topic of `channel` for `args`; `listener` gets every event. */
  join(channel: AnyChannel, args: unknown, listener: Listener): TopicHandle;
  /** Feeds one frame from the connection. */
  handleFrame(frame: Frame, receivedAt: number): void;
  /** The connection (re)opened: subscribe every live topic again. */
  resubscribeAll(): void;
  /** Fails every topic (the credential was refused, or shutdown). */
  failAll(error: Error): void;
  topics(): TopicInfo[];
  /** No topic is live (lingering ones count as live: they are still subscribed upstream). */
  isIdle(): boolean;
  readonly drops: Readonly<DropCounters>;
  /** Data frames received, by channel id. */
  readonly frames: Readonly<Record<string, number>>;
  close(): void;
}

export function createMultiplexer(options: MultiplexerOptions): Multiplexer {
  const { market, send, logger } = options;
  const unsubscribe = (topic: Topic) => send(unsubscribeRequest(topic.channel.dataType, topic.payload));
  const table = createTopicTable({
    ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    ...(options.onIdleChange === undefined ? {} : { onIdleChange: options.onIdleChange }),
    opened: (topic) => acks.subscribe(topic),
    expired: unsubscribe,
  });
  const fail = (topic: Topic, error: Error) => {
    topic.fail(error);
    table.remove(topic);
  };
  const acks = createAckTracker({
    market,
    table,
    send,
    fail,
    logger,
    now: options.now ?? Date.now,
    ...(options.throttleRetries === undefined ? {} : { throttleRetries: options.throttleRetries }),
    ...(options.throttleBackoff === undefined ? {} : { throttleBackoff: options.throttleBackoff }),
  });
  const router = createFrameRouter({ market, table, logger, answered: (topic) => acks.answered(topic), ...(options.onRouted === undefined ? {} : { onRouted: options.onRouted }) });

  return {
    drops: router.drops,
    frames: router.frames,
    join: (channel, args, listener) => table.join(channel, args, listener),
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
      for (const topic of table.all()) acks.subscribe(topic);
    },
    failAll(error) {
      for (const topic of [...table.all()]) fail(topic, error);
    },
    isIdle: () => table.size === 0,
    topics: () =>
      [...table.all()].map((t) => ({ market, channel: t.channel.id, dataType: t.channel.dataType, key: t.key, subscribers: t.listeners.size })),
    close() {
      for (const topic of [...table.all()]) {
        topic.end();
        table.remove(topic);
        unsubscribe(topic);
      }
    },
  };
}
