/**
 * The unsubscribes of one upstream connection that await their answer, each
 * with the same deadline as a subscribe (UPSTREAM_ACK_TIMEOUT_MS).
 *
 * A subscribe of a topic whose unsubscribe is still unanswered waits for that
 * answer (`hold`), so that it never overtakes the unsubscribe at the exchange,
 * which would then end the new subscription. The exchange's acknowledgement
 * (success or not: either way it no longer holds the topic for us) releases
 * it; one the exchange never sends cannot hold it for good: past the deadline
 * the unsubscribe is taken as done (logged, counted) and the subscribe goes
 * out. A reconnect makes every unsubscribe moot (the new socket holds nothing),
 * and the reconnect subscribes every live topic again itself.
 *
 * The exchange's acknowledgements are inferred, not documented (see
 * coincall-protocol.md): until it has answered one unsubscribe, nothing is held
 * and a missing answer is not a fault (said once at info), so an exchange that
 * never answers unsubscribes costs no resubscribe a deadline's wait.
 */
import { tryCanonicalKey } from '../../lib/canonical.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Frame } from '../../coincall/protocol.ts';
import type { SourceTopic } from '../../hub/source-port.ts';
import { ackKeyOf, ackKeyOfTopic } from './ack-key.ts';
import type { SentRequest } from './request-scheduler.ts';

export interface UnsubscribeTrackerOptions {
  readonly logger: Logger;
  readonly now: () => number;
  /** How long a written unsubscribe may stay unanswered before it is taken as done. */
  readonly timeoutMs: number;
  /** An unsubscribe went unanswered past its deadline (for the operator's counter). */
  readonly onTimeout?: () => void;
}

export interface UnsubscribeTracker {
  /** The scheduler wrote a request: its unsubscribes now await their answer. */
  written(request: SentRequest): void;
  /** An acknowledgement; true when it answered an unsubscribe (then handled). */
  handleAck(frame: Extract<Frame, { kind: 'ack' }>): boolean;
  /**
   * When an unsubscribe of the topic's key still awaits its answer: keeps
   * `release` (the topic's subscribe) until it is answered or its deadline
   * passes, and returns true. False (nothing kept) when none is unanswered.
   */
  hold(topic: SourceTopic, release: () => void): boolean;
  /** Drops the topic's held subscribe (the topic is gone); true when it had one. */
  drop(topic: SourceTopic): boolean;
  /** The socket is new: every unsubscribe is moot, and what waited on them is dropped (the reconnect resubscribes). */
  reset(): void;
  /** Stops following (shutdown): unsubscribes written after it are not awaited. */
  close(): void;
}

/** One written unsubscribe request (a batch counts once): its topics' keys and its deadline. */
interface Awaiting {
  readonly keys: readonly string[];
  readonly dataType: string;
  readonly since: number;
  readonly deadline: NodeJS.Timeout;
}

export function createUnsubscribeTracker({ logger, now, timeoutMs, onTimeout }: UnsubscribeTrackerOptions): UnsubscribeTracker {
  /** Written unsubscribes by the ack key of the request (its single topic, or its batch payload). */
  const requests = new Map<string, Awaiting>();
  /** Topic keys whose unsubscribe awaits its answer, with the request key that carries it. */
  const topics = new Map<string, string>();
  /** The subscribes that wait for each topic key's unsubscribe to be done. */
  const held = new Map<string, Map<SourceTopic, () => void>>();

  const done = (requestKey: string) => {
    const request = requests.get(requestKey);
    if (request === undefined) return;
    clearTimeout(request.deadline);
    requests.delete(requestKey);
    for (const key of request.keys) {
      if (topics.get(key) !== requestKey) continue;
      topics.delete(key);
      const waiting = held.get(key);
      held.delete(key);
      for (const release of waiting?.values() ?? []) release();
    }
  };

  const expire = (requestKey: string) => {
    const request = requests.get(requestKey);
    if (request === undefined) return;
    if (!answers) {
      if (!silenceSaid)
        logger.info({ dataType: request.dataType }, 'upstream has not answered any unsubscribe; subscribes do not wait for their answers');
      silenceSaid = true;
      done(requestKey);
      return;
    }
    logger.warn(
      { dataType: request.dataType, topics: request.keys.length, unansweredMs: now() - request.since },
      'upstream left an unsubscribe unanswered past UPSTREAM_ACK_TIMEOUT_MS; taking its topics as closed',
    );
    onTimeout?.();
    done(requestKey);
  };

  /** When the echo differs in form: the oldest awaiting unsubscribe of that dataType. */
  const oldestOf = (dataType: string): string | undefined => {
    for (const [key, request] of requests) if (request.dataType === dataType) return key;
    return undefined;
  };

  /** After close (shutdown's drain still writes unsubscribes): nothing is awaited any more. */
  let closed = false;
  /** The exchange has answered an unsubscribe (it does answer them): only then are answers awaited. */
  let answers = false;
  let silenceSaid = false;
  const reset = () => {
    for (const request of requests.values()) clearTimeout(request.deadline);
    requests.clear();
    topics.clear();
    held.clear();
  };

  return {
    written(request) {
      if (request.action !== 'unsubscribe' || closed) return;
      const keys = request.topics.map(ackKeyOfTopic);
      const requestKey =
        request.topics.length === 1 && keys[0] !== undefined
          ? keys[0]
          : ackKeyOf(request.dataType, tryCanonicalKey(request.payload ?? null) ?? '');
      // The same unsubscribe written again (a resubscribe's): the newer one is awaited.
      const previous = requests.get(requestKey);
      if (previous !== undefined) clearTimeout(previous.deadline);
      const deadline = setTimeout(() => expire(requestKey), timeoutMs);
      requests.set(requestKey, { keys, dataType: request.dataType, since: now(), deadline });
      for (const key of keys) topics.set(key, requestKey);
    },
    handleAck(frame) {
      if (!/^unsubscribe$/i.test(frame.action)) return false;
      answers = true;
      const echoed = tryCanonicalKey(frame.payload ?? null);
      const key = echoed === undefined ? undefined : ackKeyOf(frame.dataType, echoed);
      const requestKey = key !== undefined && requests.has(key) ? key : oldestOf(frame.dataType);
      if (requestKey !== undefined) done(requestKey);
      return true;
    },
    hold(topic, release) {
      const key = ackKeyOfTopic(topic);
      if (!answers || !topics.has(key)) return false;
      let waiting = held.get(key);
      if (waiting === undefined) held.set(key, (waiting = new Map()));
      waiting.set(topic, release);
      return true;
    },
    drop(topic) {
      const key = ackKeyOfTopic(topic);
      const waiting = held.get(key);
      if (waiting?.delete(topic) !== true) return false;
      if (waiting.size === 0) held.delete(key);
      return true;
    },
    reset,
    close() {
      closed = true;
      reset();
    },
  };
}
