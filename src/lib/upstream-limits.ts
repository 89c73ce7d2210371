/**
 * The upstream rows of the limits table (`limits.ts` holds the rest and the
 * whole table): what the gateway allows itself towards the exchange (private
 * accounts and handshakes, frame size, pending requests) and how long it
 * waits for the exchange (acknowledgements, lag) before it says so.
 */
import type { LimitSetting } from './limit-setting.ts';

export interface UpstreamLimits {
  /** Accounts (key and secret) with private upstream connections open at once. */
  readonly upstreamMaxPrivateAccounts: number;
  /** New private upstream handshakes per second, all accounts together, reconnects included. */
  readonly upstreamPrivateHandshakesPerSecond: number;
  /** Private upstream handshakes allowed back to back before that rate applies. */
  readonly upstreamPrivateHandshakeBurst: number;
  /** Largest upstream frame accepted; a larger one is dropped, counted, and renews its connection. */
  readonly upstreamMaxFrameBytes: number;
  /** New private upstream handshakes per second from one client address (accounts seen accepted before are exempt). */
  readonly upstreamPrivateHandshakesPerSecondPerAddress: number;
  /** Subscribe/unsubscribe requests waiting to go out on one upstream connection; past it new topics are refused. */
  readonly upstreamMaxPendingTopics: number;
  /** A subscribe (or resubscribe) the exchange leaves unanswered this long is sent again, and `/ready` turns 503 while it stays so; an unsubscribe is taken as done. */
  readonly upstreamAckTimeoutMs: number;
  /** How far behind the exchange (age of the frames read) a public connection may read before `/ready` turns 503. */
  readonly upstreamMaxLagMs: number;
}

export const UPSTREAM_LIMIT_SETTINGS: { readonly [K in keyof UpstreamLimits]: LimitSetting } = {
  upstreamMaxPrivateAccounts: {
    env: 'UPSTREAM_MAX_PRIVATE_ACCOUNTS',
    // Each account may hold one socket per market: 500 keeps one process under about 1,000
    // sockets to the exchange from one IP address.
    fallback: 500,
    min: 1,
    max: 100_000,
    meaning:
      'Accounts (key and secret) with private upstream connections open at once; a private subscription of one more account is refused with `LIMIT_EXCEEDED`.',
  },
  upstreamPrivateHandshakesPerSecond: {
    env: 'UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND',
    fallback: 10,
    min: 1,
    max: 1_000,
    meaning:
      'New private upstream connections per second, all accounts together, reconnects included; past it (and the burst) a private subscription is refused with `LIMIT_EXCEEDED`.',
  },
  upstreamPrivateHandshakeBurst: {
    env: 'UPSTREAM_PRIVATE_HANDSHAKE_BURST',
    fallback: 10,
    min: 1,
    max: 1_000,
    meaning: 'New private upstream connections allowed back to back before `UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND` applies.',
  },
  upstreamMaxFrameBytes: {
    env: 'UPSTREAM_MAX_FRAME_BYTES',
    // Generous: real frames (a full book, a chain) are far smaller; this bounds memory per frame.
    fallback: 16 * 1024 * 1024,
    min: 64 * 1024,
    max: 256 * 1024 * 1024,
    meaning:
      'Largest upstream WebSocket frame accepted; a larger one is dropped (logged, counted in `droppedFrames.oversized`) and its connection renewed, so event subscribers get `STREAM_INTERRUPTED`.',
  },
  upstreamPrivateHandshakesPerSecondPerAddress: {
    env: 'UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND_PER_ADDRESS',
    fallback: 3,
    min: 1,
    max: 1_000,
    meaning:
      'New private upstream connections per second from one client address (twice that back to back), so that keys one source invents cost that source, not everyone; an account Coincall accepted recently is exempt. Past it: `LIMIT_EXCEEDED`.',
  },
  upstreamMaxPendingTopics: {
    env: 'UPSTREAM_MAX_PENDING_TOPICS',
    fallback: 10_000,
    min: 100,
    max: 1_000_000,
    meaning:
      'Subscribes and unsubscribes waiting to go out on one upstream connection (paced under the exchange limit, fairly across clients); past it a new topic is refused with `LIMIT_EXCEEDED`.',
  },
  upstreamAckTimeoutMs: {
    env: 'UPSTREAM_ACK_TIMEOUT_MS',
    fallback: 5_000,
    min: 500,
    max: 60_000,
    meaning:
      'A subscribe the exchange leaves unanswered this many ms is logged, counted (`coincall_gateway_upstream_ack_timeouts_total`) and sent again with backoff; an event stream that was flowing gets `STREAM_INTERRUPTED` once it is answered, and `/ready` answers 503 naming the topic meanwhile. An unsubscribe left unanswered as long is taken as done (logged, counted in `coincall_gateway_upstream_unsubscribe_timeouts_total`), so a new subscribe of its topic, which waits for it, goes out.',
  },
  upstreamMaxLagMs: {
    env: 'UPSTREAM_MAX_LAG_MS',
    fallback: 10_000,
    min: 1_000,
    max: 600_000,
    meaning:
      'How far behind the exchange a public upstream connection may read (the age of its frames: receive time minus their `ts`, the highest of the last 5 to 10 s; `coincall_gateway_upstream_lag_seconds`) before `/ready` answers 503 naming the market.',
  },
};

/** Builds the upstream limits, one value per setting. */
export function upstreamLimitsFrom(value: (setting: LimitSetting) => number): UpstreamLimits {
  const v = (name: keyof UpstreamLimits) => value(UPSTREAM_LIMIT_SETTINGS[name]);
  return {
    upstreamMaxPrivateAccounts: v('upstreamMaxPrivateAccounts'),
    upstreamPrivateHandshakesPerSecond: v('upstreamPrivateHandshakesPerSecond'),
    upstreamPrivateHandshakeBurst: v('upstreamPrivateHandshakeBurst'),
    upstreamMaxFrameBytes: v('upstreamMaxFrameBytes'),
    upstreamPrivateHandshakesPerSecondPerAddress: v('upstreamPrivateHandshakesPerSecondPerAddress'),
    upstreamMaxPendingTopics: v('upstreamMaxPendingTopics'),
    upstreamAckTimeoutMs: v('upstreamAckTimeoutMs'),
    upstreamMaxLagMs: v('upstreamMaxLagMs'),
  };
}
