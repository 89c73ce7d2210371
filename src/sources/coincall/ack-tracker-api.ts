/**
 * The ack tracker's contract (`ack-tracker.ts` is the tracker): its options and
 * what the multiplexer asks of it.
 */
import type { Backoff } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Frame } from '../../coincall/protocol.ts';
import type { HubPort, SourceTopic } from '../../hub/source-port.ts';
import type { RequestScheduler, SentRequest } from './request-scheduler.ts';
import type { SubscribeState } from './subscribe-state.ts';

/** A topic unanswered past its ack deadline. */
export interface OverdueTopic {
  readonly topic: SourceTopic;
  /** When its first unanswered subscribe was written. */
  readonly since: number;
}

export interface AckTrackerOptions {
  /** Where answers and failures go (the hub). */
  readonly hub: Pick<HubPort, 'answered' | 'failed' | 'interrupted'>;
  /** Where subscribes wait for their turn (see RequestScheduler.subscribe). */
  readonly schedule: RequestScheduler['subscribe'];
  /** Bound to the connection's market, access and account. */
  readonly logger: Logger;
  readonly now: () => number;
  readonly throttleRetries?: number;
  readonly throttleBackoff?: Backoff;
  /** How long a written subscribe may stay unanswered (default DEFAULT_ACK_TIMEOUT_MS). */
  readonly ackTimeoutMs?: number;
  /** Delay before re-send n (0-based) of an overdue subscribe (default defaultAckRetryBackoff). */
  readonly ackRetryBackoff?: Backoff;
  /** A subscribe went unanswered past its deadline (for the operator's counter). */
  readonly onOverdue?: () => void;
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
  /** The followed topics unanswered past their ack deadline, oldest first. */
  overdue(): OverdueTopic[];
  /** Stops every re-send (shutdown). */
  close(): void;
}
