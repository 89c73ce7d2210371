/**
 * The multiplexer of one upstream connection: ref-counted topics.
 *
 * A topic is (channel, routing key). Its first listener sends the upstream
 * subscribe; later listeners share it; after the last one leaves (and a short
 * linger) the unsubscribe goes out. After a reconnect every live topic is
 * subscribed again. Each frame is parsed and decoded once, routed by dt and
 * key to its topic, turned into events once, and handed to every listener.
 * Undecodable frames are dropped, counted, and logged once per cause.
 *
 * When the exchange answers "too many request" (it does not say to which
 * request), every subscribe written shortly before and still unanswered is a
 * suspect: it is sent again after a backoff, and after a bounded number of
 * attempts its topic fails with UPSTREAM_REJECTED instead of waiting forever.
 */
import { fullJitterBackoff, type Backoff } from '../lib/backoff.ts';
import { canonicalKey, tryCanonicalKey } from '../lib/canonical.ts';
import { GatewayError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { subscribeRequest, unsubscribeRequest, type Frame, type MarketName } from '../coincall/protocol.ts';
import { decodeItems, type AnyChannel } from '../channels/channel.ts';
import { DecodeError } from '../channels/fields.ts';
import { channelsByDt } from '../channels/registry.ts';

/** How long a topic outlives its last listener before the upstream unsubscribe. */
export const DEFAULT_LINGER_MS = 2_000;
/** Re-sends of a subscribe the exchange answered with "too many request", before the topic fails. */
export const DEFAULT_THROTTLE_RETRIES = 5;
/** The exchange counts requests per second: a retry waits for the next window, plus jitter. */
const RATE_WINDOW_MS = 1_000;
/** Retry n waits RATE_WINDOW_MS plus up to min(4 s, 0.5 s × 2^n): at most about 16 s over five retries. */
export const defaultThrottleBackoff: Backoff = (() => {
  const jitter = fullJitterBackoff({ baseMs: 500, maxMs: 4_000 });
  return (attempt: number) => RATE_WINDOW_MS + jitter(attempt);
})();
/** A "too many request" answer implicates the unanswered subscribes written within this long before it. */
const THROTTLE_SUSPECT_WINDOW_MS = 2 * RATE_WINDOW_MS;
/** How the exchange words its rate-limit answer (a notice, or a failed acknowledgement). */
const TOO_MANY_REQUESTS = /too many requests?/i;

/** Receives a topic's events; one per subscriber (or per group of identical subscribers). */
export interface Listener {
  deliver(event: unknown): void;
  fail(error: Error): void;
  /** The topic ended normally (shutdown). */
  end(): void;
}

export interface TopicHandle {
  /** The topic's latest event (state channels), for a late listener. */
  readonly last: unknown;
  /** Resolves once the exchange acknowledged the subscription or sent data; rejects when it refused. */
  readonly confirmed: Promise<void>;
  /** Leaves the topic. */
  release(): void;
}

export interface TopicInfo {
  readonly market: MarketName;
  readonly channel: string;
  readonly dataType: string;
  readonly key: string;
  readonly subscribers: number;
}

export interface DropCounters {
  /** Frames with a dt no channel of this market claims. */
  unknownDt: number;
  /** Frames that failed to parse or decode. */
  undecodable: number;
  /** Decoded frames no topic wanted (after an unsubscribe, for instance). */
  unrouted: number;
}

interface Topic {
  readonly id: string;
  readonly channel: AnyChannel;
  readonly key: string;
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  readonly listeners: Set<Listener>;
  last: unknown;
  lingerTimer: NodeJS.Timeout | undefined;
  confirmed: boolean;
  /** When the latest subscribe was written to the socket; undefined while queued or once answered. */
  awaitingSince: number | undefined;
  /** Re-sends after "too many request" since the last answer. */
  throttleRetries: number;
  retryTimer: NodeJS.Timeout | undefined;
  confirm: () => void;
  refuse: (error: Error) => void;
  readonly confirmation: Promise<void>;
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
  close(): void;
}

const topicId = (channel: AnyChannel, key: string) => `${channel.id}\u0000${key}`;
/** How an acknowledgement finds its topic: dataType and the canonical key of the payload. */
const ackId = (dataType: string, payloadKey: string) => `${dataType}\u0000${payloadKey}`;

export function createMultiplexer(options: MultiplexerOptions): Multiplexer {
  const { market, send, logger } = options;
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
  const now = options.now ?? Date.now;
  const maxThrottleRetries = options.throttleRetries ?? DEFAULT_THROTTLE_RETRIES;
  const throttleBackoff = options.throttleBackoff ?? defaultThrottleBackoff;
  const byDt = channelsByDt(market);
  const topics = new Map<string, Topic>();
  const byAck = new Map<string, Topic>();
  const drops: DropCounters = { unknownDt: 0, undecodable: 0, unrouted: 0 };
  const loggedCauses = new Set<string>();

  const dropOnce = (counter: keyof DropCounters, cause: string) => {
    drops[counter]++;
    if (loggedCauses.has(cause)) return;
    loggedCauses.add(cause);
    logger.warn({ market, cause, counter }, 'dropped upstream frame (logged once per cause)');
  };

  const subscribeUpstream = (topic: Topic) => {
    topic.awaitingSince = undefined;
    send(subscribeRequest(topic.channel.dataType, topic.payload), () => {
      if (topics.get(topic.id) === topic) topic.awaitingSince = now();
    });
  };

  /** The exchange answered the topic's subscribe (acknowledgement or data). */
  const answered = (topic: Topic) => {
    topic.awaitingSince = undefined;
    topic.throttleRetries = 0;
    if (!topic.confirmed) topic.confirm();
  };

  const removeTopic = (topic: Topic, unsubscribe: boolean) => {
    clearTimeout(topic.lingerTimer);
    clearTimeout(topic.retryTimer);
    topics.delete(topic.id);
    byAck.delete(ackId(topic.channel.dataType, canonicalKey(topic.payload ?? null)));
    if (unsubscribe) send(unsubscribeRequest(topic.channel.dataType, topic.payload));
    if (topics.size === 0) options.onIdleChange?.(true);
  };

  const failTopic = (topic: Topic, error: Error) => {
    topic.refuse(error);
    for (const listener of [...topic.listeners]) listener.fail(error);
    topic.listeners.clear();
    removeTopic(topic, false);
  };

  const deliver = (topic: Topic, items: unknown[]) => {
    const channel = topic.channel;
    const events = channel.toEvents(items as never[], topic.last);
    if (topic.awaitingSince !== undefined || !topic.confirmed) answered(topic);
    for (const event of events) {
      if (channel.delivery === 'state') topic.last = event;
      for (const listener of topic.listeners) listener.deliver(event);
    }
  };

  const handleData = (dt: number, d: unknown, frameTs: number | undefined, receivedAt: number) => {
    const channel = byDt.get(dt);
    if (channel === undefined) return dropOnce('unknownDt', `unknown dt ${dt}`);
    let items: unknown[];
    try {
      items = decodeItems(channel, d, { frameTs, receivedAt });
    } catch (error) {
      if (error instanceof DecodeError) return dropOnce('undecodable', `${channel.id}: ${error.message}`);
      throw error;
    }
    if (items.length === 0) return;
    const firstKey = channel.keyOf(items[0] as never);
    if (items.every((item) => channel.keyOf(item as never) === firstKey)) {
      const topic = topics.get(topicId(channel, firstKey));
      if (topic === undefined) drops.unrouted++;
      else deliver(topic, items);
      return;
    }
    const groups = new Map<string, unknown[]>();
    for (const item of items) {
      const key = channel.keyOf(item as never);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [item]);
      else group.push(item);
    }
    for (const [key, group] of groups) {
      const topic = topics.get(topicId(channel, key));
      if (topic === undefined) drops.unrouted++;
      else deliver(topic, group);
    }
  };

  const retryThrottled = (topic: Topic) => {
    topic.retryTimer = undefined;
    if (topics.get(topic.id) !== topic || topic.awaitingSince === undefined) return;
    if (topic.throttleRetries >= maxThrottleRetries) {
      logger.warn({ market, dataType: topic.channel.dataType, attempts: topic.throttleRetries + 1 }, 'upstream kept throttling a subscription; giving up');
      failTopic(
        topic,
        new GatewayError(
          'UPSTREAM_REJECTED',
          `Coincall refused the ${topic.channel.dataType} subscription ${topic.throttleRetries + 1} times for too many requests; try again later.`,
        ),
      );
      return;
    }
    topic.throttleRetries++;
    subscribeUpstream(topic);
  };

  const scheduleRetry = (topic: Topic) => {
    if (topic.retryTimer !== undefined) return;
    topic.retryTimer = setTimeout(() => retryThrottled(topic), throttleBackoff(topic.throttleRetries));
  };

  /** A "too many request" answer: retry every subscribe it may have refused. */
  const throttled = (message: string) => {
    const since = now() - THROTTLE_SUSPECT_WINDOW_MS;
    const suspects = [...topics.values()].filter((t) => t.awaitingSince !== undefined && t.awaitingSince >= since && t.retryTimer === undefined);
    if (suspects.length > 0) logger.warn({ market, message, retrying: suspects.length }, 'upstream throttled our requests; retrying unanswered subscriptions');
    for (const topic of suspects) scheduleRetry(topic);
  };

  const handleAck = (frame: Extract<Frame, { kind: 'ack' }>) => {
    if (frame.action.toLowerCase() !== 'subscribe') return;
    const echoed = tryCanonicalKey(frame.payload ?? null);
    let topic = echoed === undefined ? undefined : byAck.get(ackId(frame.dataType, echoed));
    if (topic === undefined) {
      // The echo may differ in form; fall back to the only pending topic of that dataType.
      const pending = [...topics.values()].filter((t) => t.channel.dataType === frame.dataType && (t.awaitingSince !== undefined || !t.confirmed));
      if (pending.length === 1) topic = pending[0];
    }
    if (topic === undefined) return;
    if (frame.ok) answered(topic);
    else if (frame.message !== undefined && TOO_MANY_REQUESTS.test(frame.message)) scheduleRetry(topic);
    else {
      const reason = frame.message ?? 'no reason given';
      logger.warn({ market, dataType: frame.dataType, reason }, 'upstream refused a subscription');
      failTopic(topic, new GatewayError('UPSTREAM_REJECTED', `Coincall refused the ${frame.dataType} subscription: ${reason}`));
    }
  };

  return {
    drops,
    join(channel, args, listener) {
      const spec = channel.topic(args);
      const id = topicId(channel, spec.key);
      let topic = topics.get(id);
      if (topic === undefined) {
        let confirm!: () => void;
        let refuse!: (error: Error) => void;
        const confirmation = new Promise<void>((resolve, reject) => {
          confirm = resolve;
          refuse = reject;
        });
        confirmation.catch(() => undefined);
        const created: Topic = {
          id,
          channel,
          key: spec.key,
          payload: spec.payload,
          listeners: new Set(),
          last: undefined,
          lingerTimer: undefined,
          confirmed: false,
          awaitingSince: undefined,
          throttleRetries: 0,
          retryTimer: undefined,
          confirm: () => {
            created.confirmed = true;
            confirm();
          },
          refuse,
          confirmation,
        };
        topic = created;
        if (topics.size === 0) options.onIdleChange?.(false);
        topics.set(id, topic);
        byAck.set(ackId(channel.dataType, canonicalKey(spec.payload ?? null)), topic);
        subscribeUpstream(topic);
      } else if (topic.lingerTimer !== undefined) {
        clearTimeout(topic.lingerTimer);
        topic.lingerTimer = undefined;
      }
      const joined = topic;
      joined.listeners.add(listener);
      let released = false;
      return {
        last: joined.last,
        confirmed: joined.confirmation,
        release() {
          if (released) return;
          released = true;
          if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
          if (topics.get(joined.id) !== joined) return;
          joined.lingerTimer = setTimeout(() => removeTopic(joined, true), lingerMs);
        },
      };
    },
    handleFrame(frame, receivedAt) {
      switch (frame.kind) {
        case 'data':
          return handleData(frame.dt, frame.d, frame.ts, receivedAt);
        case 'ack':
          return handleAck(frame);
        case 'invalid':
          return dropOnce('undecodable', frame.reason);
        case 'notice':
          if (TOO_MANY_REQUESTS.test(frame.message)) return throttled(frame.message);
          logger.warn({ market, message: frame.message }, 'upstream notice');
          return;
        case 'heartbeat':
        case 'connect':
          return;
      }
    },
    resubscribeAll() {
      for (const topic of topics.values()) {
        clearTimeout(topic.retryTimer);
        topic.retryTimer = undefined;
        topic.throttleRetries = 0;
        subscribeUpstream(topic);
      }
    },
    failAll(error) {
      for (const topic of [...topics.values()]) failTopic(topic, error);
    },
    isIdle: () => topics.size === 0,
    topics: () =>
      [...topics.values()].map((t) => ({ market, channel: t.channel.id, dataType: t.channel.dataType, key: t.key, subscribers: t.listeners.size })),
    close() {
      for (const topic of [...topics.values()]) {
        for (const listener of topic.listeners) listener.end();
        topic.listeners.clear();
        removeTopic(topic, true);
      }
    },
  };
}

