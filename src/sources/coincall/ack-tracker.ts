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
 *
 * Where each topic's subscribe stands is the tracker's own map (the hub's
 * topic knows nothing of it), one explicit state per topic:
 *
 *   sending ──written──> awaiting ──acknowledged, or data──> answered
 *      ▲                    │
 *      └──re-send── throttled <──"too many request"
 *
 * A reconnect (or a stale topic's resubscribe) sends the subscribe again:
 * back to `sending` from anywhere.
 */
import type { Backoff } from '../../lib/backoff.ts';
import { tryCanonicalKey } from '../../lib/canonical.ts';
import { upstreamRejected } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { truncateForLog } from '../../lib/truncate.ts';
import type { Frame } from '../../coincall/protocol.ts';
import type { HubPort, SourceTopic } from '../../hub/source-port.ts';
import { ackKeyOf, ackKeyOfTopic } from './ack-key.ts';
import type { RequestScheduler, SentRequest } from './request-scheduler.ts';
import { DEFAULT_THROTTLE_RETRIES, defaultThrottleBackoff, THROTTLE_SUSPECT_WINDOW_MS, TOO_MANY_REQUESTS } from './throttle-policy.ts';

/** Written batches awaiting their acknowledgement, at most; past it the oldest is forgotten (its topics still answer by data). */
const MAX_TRACKED_BATCHES = 1_000;

/**
 * Where a topic's latest subscribe stands. `retries` counts its re-sends
 * after "too many request" since the last answer (or reconnect).
 */
export type SubscribeState =
  /** Queued on the connection, not yet written to the socket. */
  | { readonly kind: 'sending'; readonly retries: number }
  /** Written at `since`, unanswered. */
  | { readonly kind: 'awaiting'; readonly since: number; readonly retries: number }
  /** Refused for "too many request"; `timer` re-sends it. */
  | { readonly kind: 'throttled'; readonly timer: NodeJS.Timeout; readonly retries: number }
  /** Acknowledged, or data arrived. */
  | { readonly kind: 'answered' };

const ANSWERED: SubscribeState = { kind: 'answered' };

interface Tracked {
  state: SubscribeState;
  /** Whether the exchange ever answered it (a re-send after a reconnect is not pending then). */
  confirmed: boolean;
  readonly ackKey: string;
}

export interface AckTrackerOptions {
  /** Where answers and failures go (the hub). */
  readonly hub: Pick<HubPort, 'answered' | 'failed'>;
  /** Where subscribes wait for their turn (see RequestScheduler.subscribe). */
  readonly schedule: RequestScheduler['subscribe'];
  /** Bound to the connection's market, access and account. */
  readonly logger: Logger;
  readonly now: () => number;
  readonly throttleRetries?: number;
  readonly throttleBackoff?: Backoff;
}

export interface AckTracker {
  /** Starts following a newly opened topic and sends its subscribe. */
  track(topic: SourceTopic): void;
  /** Stops following a topic (unsubscribed or failed); its scheduled re-send is cancelled. */
  forget(topic: SourceTopic): void;
  /** Whether the topic is followed (opened, not yet forgotten). */
  tracks(topic: SourceTopic): boolean;
  /** Where the topic's subscribe stands (undefined when it is not followed). */
  state(topic: SourceTopic): SubscribeState | undefined;
  /** Whether the topic's subscribe is unanswered, or the topic was never confirmed. */
  pending(topic: SourceTopic): boolean;
  /**
   * Sends the subscribe again on a fresh connection (a scheduled re-send is
   * cancelled, the throttle count starts over).
   */
  subscribe(topic: SourceTopic): void;
  /** The topic is being resubscribed (its unsubscribe goes first): not answered any more, nothing sent yet. */
  renewing(topic: SourceTopic): void;
  /** Data arrived for the topic: that answers its subscribe. */
  answered(topic: SourceTopic): void;
  /** Fails the topic (forgotten here, failed in the hub). */
  fail(topic: SourceTopic, error: Error): void;
  /** The scheduler wrote a request: its subscribes now await their answer. */
  written(request: SentRequest): void;
  handleAck(frame: Extract<Frame, { kind: 'ack' }>): void;
  /** A notice; true when it was the exchange's "too many request" (then handled). */
  handleNotice(message: string): boolean;
  /** Stops every re-send (shutdown). */
  close(): void;
}

export function createAckTracker(options: AckTrackerOptions): AckTracker {
  const { hub, schedule, logger, now } = options;
  const maxRetries = options.throttleRetries ?? DEFAULT_THROTTLE_RETRIES;
  const backoff = options.throttleBackoff ?? defaultThrottleBackoff;

  /** Followed topics, in opening order. */
  const tracked = new Map<SourceTopic, Tracked>();
  /** Followed topics by the ack key of their own subscribe. */
  const byAck = new Map<string, SourceTopic>();
  /** Written batches by dataType and canonical batch payload. */
  const batches = new Map<string, readonly SourceTopic[]>();

  const cancelRetry = (entry: Tracked) => {
    if (entry.state.kind === 'throttled') clearTimeout(entry.state.timer);
  };
  const isPending = (entry: Tracked) => entry.state.kind === 'awaiting' || entry.state.kind === 'throttled' || !entry.confirmed;

  const answer = (topic: SourceTopic) => {
    const entry = tracked.get(topic);
    if (entry === undefined) return;
    cancelRetry(entry);
    entry.state = ANSWERED;
    entry.confirmed = true;
    hub.answered(topic, now());
  };

  const forget = (topic: SourceTopic) => {
    const entry = tracked.get(topic);
    if (entry === undefined) return;
    cancelRetry(entry);
    tracked.delete(topic);
    if (byAck.get(entry.ackKey) === topic) byAck.delete(entry.ackKey);
  };

  const fail = (topic: SourceTopic, error: Error) => {
    forget(topic);
    hub.failed(topic, error);
  };

  /**
   * Queues the topic's subscribe; `retries`: how many re-sends after "too many
   * request" this one makes; `solo`: not in a batch. When the exchange still
   * holds the topic (its unsubscribe had not gone out), it is answered at once.
   */
  const subscribe = (topic: SourceTopic, entry: Tracked, retries: number, solo = false) => {
    cancelRetry(entry);
    entry.state = { kind: 'sending', retries };
    if (schedule(topic, { solo })) answer(topic);
  };

  const retry = (topic: SourceTopic) => {
    const entry = tracked.get(topic);
    const state = entry?.state;
    if (entry === undefined || state?.kind !== 'throttled') return;
    if (state.retries >= maxRetries) {
      const attempts = state.retries + 1;
      logger.warn({ dataType: topic.channel.dataType, attempts }, 'upstream kept throttling a subscription; giving up');
      const message = `Coincall refused the ${topic.channel.dataType} subscription ${attempts} times for too many requests; try again later.`;
      fail(topic, upstreamRejected(message));
      return;
    }
    subscribe(topic, entry, state.retries + 1);
  };

  /** Schedules the re-send of a written, unanswered subscribe (once: a scheduled one stands). */
  const throttle = (topic: SourceTopic) => {
    const entry = tracked.get(topic);
    if (entry?.state.kind !== 'awaiting') return;
    const { retries } = entry.state;
    entry.state = { kind: 'throttled', timer: setTimeout(() => retry(topic), backoff(retries)), retries };
  };

  /** When the echo differs in form: the only pending topic of that dataType, if there is exactly one. */
  const onlyPending = (dataType: string): SourceTopic | undefined => {
    let found: SourceTopic | undefined;
    for (const [topic, entry] of tracked) {
      if (topic.channel.dataType !== dataType || !isPending(entry)) continue;
      if (found !== undefined) return undefined;
      found = topic;
    }
    return found;
  };

  /** The topics an acknowledgement is about: its single topic, its batch, or the only pending one. */
  const topicsOf = (frame: Extract<Frame, { kind: 'ack' }>): { readonly topics: readonly SourceTopic[]; readonly batch: boolean } => {
    const echoed = tryCanonicalKey(frame.payload ?? null);
    if (echoed !== undefined) {
      const key = ackKeyOf(frame.dataType, echoed);
      const single = byAck.get(key);
      if (single !== undefined) return { topics: [single], batch: false };
      const batch = batches.get(key);
      if (batch !== undefined) {
        batches.delete(key);
        return { topics: batch.filter((t) => tracked.has(t)), batch: true };
      }
    }
    const only = onlyPending(frame.dataType);
    return { topics: only === undefined ? [] : [only], batch: false };
  };

  return {
    track(topic) {
      const entry: Tracked = { state: { kind: 'sending', retries: 0 }, confirmed: false, ackKey: ackKeyOfTopic(topic) };
      tracked.set(topic, entry);
      byAck.set(entry.ackKey, topic);
      subscribe(topic, entry, 0);
    },
    forget,
    tracks: (topic) => tracked.has(topic),
    state: (topic) => tracked.get(topic)?.state,
    pending(topic) {
      const entry = tracked.get(topic);
      return entry !== undefined && isPending(entry);
    },
    subscribe(topic) {
      const entry = tracked.get(topic);
      if (entry !== undefined) subscribe(topic, entry, 0);
    },
    renewing(topic) {
      const entry = tracked.get(topic);
      if (entry === undefined) return;
      cancelRetry(entry);
      entry.state = { kind: 'sending', retries: 0 };
    },
    answered(topic) {
      const entry = tracked.get(topic);
      if (entry !== undefined && isPending(entry)) answer(topic);
    },
    fail,
    written(request) {
      if (request.action !== 'subscribe') return;
      const at = now();
      for (const topic of request.topics) {
        const entry = tracked.get(topic);
        if (entry?.state.kind === 'sending') entry.state = { kind: 'awaiting', since: at, retries: entry.state.retries };
      }
      if (request.topics.length < 2) return;
      if (batches.size >= MAX_TRACKED_BATCHES) batches.delete(batches.keys().next().value as string);
      batches.set(ackKeyOf(request.dataType, tryCanonicalKey(request.payload ?? null) ?? ''), request.topics);
    },
    handleAck(frame) {
      if (frame.action.toLowerCase() !== 'subscribe') return;
      const { topics, batch } = topicsOf(frame);
      if (topics.length === 0) return;
      if (frame.ok) for (const topic of topics) answer(topic);
      else if (frame.message !== undefined && TOO_MANY_REQUESTS.test(frame.message)) for (const topic of topics) throttle(topic);
      else if (batch) {
        logger.info(
          { dataType: frame.dataType, topics: topics.length, reason: frame.message },
          'upstream refused a batch; subscribing its topics one by one',
        );
        for (const topic of topics) {
          const entry = tracked.get(topic);
          if (entry?.state.kind === 'awaiting') subscribe(topic, entry, entry.state.retries, true);
        }
      } else {
        const reason = frame.message ?? 'no reason given';
        logger.warn({ dataType: frame.dataType, reason: truncateForLog(reason) }, 'upstream refused a subscription');
        for (const topic of topics) fail(topic, upstreamRejected(`Coincall refused the ${frame.dataType} subscription: ${reason}`));
      }
    },
    handleNotice(message) {
      if (!TOO_MANY_REQUESTS.test(message)) return false;
      const since = now() - THROTTLE_SUSPECT_WINDOW_MS;
      const suspects = [...tracked].filter(([, e]) => e.state.kind === 'awaiting' && e.state.since >= since).map(([topic]) => topic);
      if (suspects.length > 0)
        logger.warn(
          { message: truncateForLog(message), retrying: suspects.length },
          'upstream throttled our requests; retrying unanswered subscriptions',
        );
      for (const topic of suspects) throttle(topic);
      return true;
    },
    close() {
      for (const entry of tracked.values()) cancelRetry(entry);
      tracked.clear();
      byAck.clear();
    },
  };
}
