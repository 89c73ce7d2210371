/**
 * Where a topic's subscribe stands in the ack tracker (`ack-tracker.ts`), and
 * the timings of its re-sends: after "too many request", and after the
 * exchange left it unanswered past the ack deadline.
 *
 *   sending ──written──> awaiting ──acknowledged, or data──> answered
 *      ▲                  │     │
 *      ├──re-send── throttled   └──no answer within the deadline──> overdue
 *      └──re-send (backoff)─────────────────────────────────────────────┘
 */
import type { Backoff } from '../../lib/backoff.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import { defaultThrottleBackoff } from './throttle-policy.ts';

/** How long a written subscribe may stay unanswered before it is sent again (UPSTREAM_ACK_TIMEOUT_MS). */
export const DEFAULT_ACK_TIMEOUT_MS = LIMIT_SETTINGS.upstreamAckTimeoutMs.fallback;
/**
 * Re-send n of an overdue subscribe waits the next rate window plus up to
 * min(4 s, 0.5 s × 2^n): never a burst, never more than 5 s (it is retried for
 * as long as the topic lives: the exchange may come back at any time).
 */
export const defaultAckRetryBackoff: Backoff = defaultThrottleBackoff;

/**
 * Where a topic's latest subscribe stands. `retries` counts its re-sends
 * after "too many request" since the last answer (or reconnect).
 */
export type SubscribeState =
  /** Queued on the connection, not yet written to the socket. */
  | { readonly kind: 'sending'; readonly retries: number }
  /** Written at `since`, unanswered; `deadline` fires when the ack deadline passes. */
  | { readonly kind: 'awaiting'; readonly since: number; readonly retries: number; readonly deadline: NodeJS.Timeout }
  /** Refused for "too many request"; `timer` re-sends it. */
  | { readonly kind: 'throttled'; readonly timer: NodeJS.Timeout; readonly retries: number }
  /** Unanswered past the ack deadline since `since` (the first unanswered write); `timer` re-sends it. */
  | { readonly kind: 'overdue'; readonly timer: NodeJS.Timeout; readonly since: number }
  /** Acknowledged, or data arrived. */
  | { readonly kind: 'answered' };

export const ANSWERED: SubscribeState = { kind: 'answered' };

/** The timer a state holds (its deadline or its scheduled re-send), to cancel when it is left. */
export const timerOf = (state: SubscribeState): NodeJS.Timeout | undefined =>
  state.kind === 'awaiting' ? state.deadline : state.kind === 'throttled' || state.kind === 'overdue' ? state.timer : undefined;
