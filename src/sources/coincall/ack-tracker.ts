/**
 * The ack tracker of one upstream connection: sends each topic's subscribe and
 * follows it until the exchange answers.
 *
 * Subscribes go out through the connection's request scheduler (fair across
 * clients, batched where the channel allows). An acknowledgement finds its
 * topic by dataType and the canonical key of the echoed payload, or its batch
 * (every topic of it) by the batch payload, or, when the echo differs in form,
 * the only pending topic of that dataType. A success, or the topic's first
 * data, answers it; a refusal fails it with UPSTREAM_REJECTED. A refused
 * batch says nothing of which symbol the exchange objected to, so each of its
 * topics is sent again on its own, and only its own refusal fails it.
 *
 * When the exchange answers "too many request" (a notice, which does not say
 * to which request, or a failed acknowledgement), every subscribe written
 * shortly before and still unanswered is a suspect: it is sent again after a
 * backoff, and after a bounded number of attempts its topic fails with
 * UPSTREAM_REJECTED instead of waiting forever.
 */
import { fullJitterBackoff, type Backoff } from '../../lib/backoff.ts';
import { tryCanonicalKey } from '../../lib/canonical.ts';
import { upstreamRejected } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { truncateForLog } from '../../lib/truncate.ts';
import type { Frame, MarketName } from '../../coincall/protocol.ts';
import type { RequestScheduler, SentRequest } from './request-scheduler.ts';
import type { Topic } from '../../hub/topic.ts';
import { ackKeyOf, type TopicTable } from '../../hub/topic-table.ts';

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
/** Written batches awaiting their acknowledgement, at most; past it the oldest is forgotten (its topics still answer by data). */
const MAX_TRACKED_BATCHES = 1_000;

export interface AckTrackerOptions {
  readonly market: MarketName;
  readonly table: TopicTable;
  /** Where subscribes wait for their turn (see RequestScheduler.subscribe). */
  readonly schedule: RequestScheduler['subscribe'];
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
  /** The scheduler wrote a request: its subscribes now await their answer. */
  written(request: SentRequest): void;
  handleAck(frame: Extract<Frame, { kind: 'ack' }>): void;
  /** A notice; true when it was the exchange's "too many request" (then handled). */
  handleNotice(message: string): boolean;
}

export function createAckTracker(options: AckTrackerOptions): AckTracker {
  const { market, table, schedule, logger, now } = options;
  const maxRetries = options.throttleRetries ?? DEFAULT_THROTTLE_RETRIES;
  const backoff = options.throttleBackoff ?? defaultThrottleBackoff;

  /** Written batches by dataType and canonical batch payload. */
  const batches = new Map<string, readonly Topic[]>();

  /**
   * Queues the topic's subscribe; `retries`: how many re-sends after "too many
   * request" this one makes; `solo`: not in a batch. When the exchange still
   * holds the topic (its unsubscribe had not gone out), it is answered at once.
   */
  const subscribe = (topic: Topic, retries: number, solo = false) => {
    topic.sending(retries);
    if (schedule(topic, { solo })) topic.answered(now());
  };

  const retry = (topic: Topic) => {
    const state = topic.state;
    if (!table.has(topic) || state.kind !== 'throttled') return;
    if (state.retries >= maxRetries) {
      const attempts = state.retries + 1;
      logger.warn({ market, dataType: topic.channel.dataType, attempts }, 'upstream kept throttling a subscription; giving up');
      const message = `Coincall refused the ${topic.channel.dataType} subscription ${attempts} times for too many requests; try again later.`;
      options.fail(topic, upstreamRejected(message));
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

  /** The topics an acknowledgement is about: its single topic, its batch, or the only pending one. */
  const topicsOf = (frame: Extract<Frame, { kind: 'ack' }>): { readonly topics: readonly Topic[]; readonly batch: boolean } => {
    const echoed = tryCanonicalKey(frame.payload ?? null);
    if (echoed !== undefined) {
      const single = table.findByAck(frame.dataType, echoed);
      if (single !== undefined) return { topics: [single], batch: false };
      const key = ackKeyOf(frame.dataType, echoed);
      const batch = batches.get(key);
      if (batch !== undefined) {
        batches.delete(key);
        return { topics: batch.filter((t) => table.has(t)), batch: true };
      }
    }
    const only = onlyPending(frame.dataType);
    return { topics: only === undefined ? [] : [only], batch: false };
  };

  return {
    subscribe: (topic) => subscribe(topic, 0),
    answered(topic) {
      if (topic.pending) topic.answered(now());
    },
    written(request) {
      if (request.action !== 'subscribe') return;
      const at = now();
      for (const topic of request.topics) if (table.has(topic)) topic.written(at);
      if (request.topics.length < 2) return;
      if (batches.size >= MAX_TRACKED_BATCHES) batches.delete(batches.keys().next().value as string);
      batches.set(ackKeyOf(request.dataType, tryCanonicalKey(request.payload ?? null) ?? ''), request.topics);
    },
    handleAck(frame) {
      if (frame.action.toLowerCase() !== 'subscribe') return;
      const { topics, batch } = topicsOf(frame);
      if (topics.length === 0) return;
      if (frame.ok) for (const topic of topics) topic.answered(now());
      else if (frame.message !== undefined && TOO_MANY_REQUESTS.test(frame.message)) for (const topic of topics) throttle(topic);
      else if (batch) {
        logger.info({ market, dataType: frame.dataType, topics: topics.length, reason: frame.message }, 'upstream refused a batch; subscribing its topics one by one');
        for (const topic of topics) if (topic.state.kind === 'awaiting') subscribe(topic, topic.state.retries, true);
      } else {
        const reason = frame.message ?? 'no reason given';
        logger.warn({ market, dataType: frame.dataType, reason: truncateForLog(reason) }, 'upstream refused a subscription');
        for (const topic of topics) options.fail(topic, upstreamRejected(`Coincall refused the ${frame.dataType} subscription: ${reason}`));
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
