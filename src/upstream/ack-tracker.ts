/**
 * The ack tracker of one upstream connection: sends each topic's subscribe and
 * follows it until the exchange answers.
 *
 * An acknowledgement finds its topic by dataType and the canonical key of the
 * echoed payload (or, when the echo differs in form, as the only pending topic
 * of that dataType). A success, or the topic's first data, answers it; a
 * refusal fails it with UPSTREAM_REJECTED.
 *
 * When the exchange answers "too many request" (a notice, which does not say
 * to which request, or a failed acknowledgement), every subscribe written
 * shortly before and still unanswered is a suspect: it is sent again after a
 * backoff, and after a bounded number of attempts its topic fails with
 * UPSTREAM_REJECTED instead of waiting forever.
 */
import { fullJitterBackoff, type Backoff } from '../lib/backoff.ts';
import { tryCanonicalKey } from '../lib/canonical.ts';
import { GatewayError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { truncateForLog } from '../lib/truncate.ts';
import { subscribeRequest, type Frame, type MarketName } from '../coincall/protocol.ts';
import type { Topic } from './topic.ts';
import type { TopicTable } from './topic-table.ts';

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

export interface AckTrackerOptions {
  readonly market: MarketName;
  readonly table: TopicTable;
  /** Queues a request on the connection; `onWritten` runs once it reaches the socket. */
  readonly send: (text: string, onWritten?: () => void) => void;
  /** Fails a topic the exchange refused (and removes it). */
  readonly fail: (topic: Topic, error: Error) => void;
  readonly logger: Logger;
  readonly now: () => number;
  readonly throttleRetries?: number;
  readonly throttleBackoff?: Backoff;
}

export interface AckTracker {
  /**
   * Sends the subscribe of a newly opened topic, or again on a fresh
   * connection (a scheduled re-send is cancelled, the throttle count starts over).
   */
  subscribe(topic: Topic): void;
  /** Data arrived for the topic: that answers its subscribe. */
  answered(topic: Topic): void;
  handleAck(frame: Extract<Frame, { kind: 'ack' }>): void;
  /** A notice; true when it was the exchange's "too many request" (then handled). */
  handleNotice(message: string): boolean;
}

export function createAckTracker(options: AckTrackerOptions): AckTracker {
  const { market, table, send, logger, now } = options;
  const maxRetries = options.throttleRetries ?? DEFAULT_THROTTLE_RETRIES;
  const backoff = options.throttleBackoff ?? defaultThrottleBackoff;

  /** Sends the topic's subscribe; `retries`: how many re-sends after "too many request" this one makes. */
  const subscribe = (topic: Topic, retries: number) => {
    topic.sending(retries);
    send(subscribeRequest(topic.channel.dataType, topic.payload), () => {
      if (table.has(topic)) topic.written(now());
    });
  };

  const retry = (topic: Topic) => {
    const state = topic.state;
    if (!table.has(topic) || state.kind !== 'throttled') return;
    if (state.retries >= maxRetries) {
      const attempts = state.retries + 1;
      logger.warn({ market, dataType: topic.channel.dataType, attempts }, 'upstream kept throttling a subscription; giving up');
      const message = `Coincall refused the ${topic.channel.dataType} subscription ${attempts} times for too many requests; try again later.`;
      options.fail(topic, new GatewayError('UPSTREAM_REJECTED', message));
      return;
    }
    subscribe(topic, state.retries + 1);
  };

  /** Schedules the re-send of a written, unanswered subscribe (once: a scheduled one stands). */
  const throttle = (topic: Topic) => {
    if (topic.state.kind !== 'awaiting') return;
    topic.throttled(setTimeout(() => retry(topic), backoff(topic.state.retries)));
  };

  /** When the echo differs in form: the only pending topic of that dataType, if there is exactly one. */
  const onlyPending = (dataType: string): Topic | undefined => {
    let found: Topic | undefined;
    for (const topic of table.all()) {
      if (topic.channel.dataType !== dataType || !topic.pending) continue;
      if (found !== undefined) return undefined;
      found = topic;
    }
    return found;
  };

  return {
    subscribe: (topic) => subscribe(topic, 0),
    answered(topic) {
      if (topic.pending) topic.answered();
    },
    handleAck(frame) {
      if (frame.action.toLowerCase() !== 'subscribe') return;
      const echoed = tryCanonicalKey(frame.payload ?? null);
      const topic = (echoed === undefined ? undefined : table.findByAck(frame.dataType, echoed)) ?? onlyPending(frame.dataType);
      if (topic === undefined) return;
      if (frame.ok) topic.answered();
      else if (frame.message !== undefined && TOO_MANY_REQUESTS.test(frame.message)) throttle(topic);
      else {
        const reason = frame.message ?? 'no reason given';
        logger.warn({ market, dataType: frame.dataType, reason: truncateForLog(reason) }, 'upstream refused a subscription');
        options.fail(topic, new GatewayError('UPSTREAM_REJECTED', `Coincall refused the ${frame.dataType} subscription: ${reason}`));
      }
    },
    handleNotice(message) {
      if (!TOO_MANY_REQUESTS.test(message)) return false;
      const since = now() - THROTTLE_SUSPECT_WINDOW_MS;
      const suspects = [...table.all()].filter((t) => t.state.kind === 'awaiting' && t.state.since >= since);
      if (suspects.length > 0) logger.warn({ market, message: truncateForLog(message), retrying: suspects.length }, 'upstream throttled our requests; retrying unanswered subscriptions');
      for (const topic of suspects) throttle(topic);
      return true;
    },
  };
}
