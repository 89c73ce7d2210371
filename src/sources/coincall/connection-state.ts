/**
 * The states of one upstream connection (`connection.ts`), each with its own
 * data, and the timings it runs on: heartbeat period, silence bound, connect
 * timeout.
 */
import type WebSocket from 'ws';

/** A heartbeat every 3 s: the fastest the exchange asks for (3–15 s), so a silence shows within seconds. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 3_000;
/**
 * How long the connection may receive no frame at all (no data, no heartbeat
 * answer) before it counts as dead: under 5 s, so `/ready` turns 503 within 5 s
 * of the exchange going silent, and over one heartbeat period plus its answer.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 4_500;
/** The error code `ws` gives a frame over `maxPayload` (the socket then closes). */
export const FRAME_TOO_BIG = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
/** How long a connect attempt may take before it is abandoned. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Longest wait a handshake budget can impose on one reconnect (a setTimeout must stay finite). */
export const MAX_HANDSHAKE_WAIT_MS = 10 * 60_000;

/**
 * `attempt` counts failed attempts since the last good frame (it picks the
 * backoff); `renewing` marks a reconnect after a routine idle close.
 */
export type State =
  | { readonly kind: 'connecting'; readonly socket: WebSocket; readonly attempt: number; readonly renewing: boolean }
  | {
      readonly kind: 'open';
      readonly socket: WebSocket;
      readonly since: number;
      readonly attempt: number;
      /** This session has had a good frame from the exchange (the backoff starts over). */
      answered: boolean;
      /** Opened to renew a connection the exchange closed while idle (available before its first answer). */
      readonly renewing: boolean;
      readonly heartbeat: NodeJS.Timeout;
      /** When the last frame of any kind arrived (the open time before one). */
      heardAt: number;
      /** The silence watchdog: fires when `heartbeatTimeout` has passed since `heardAt`. */
      deadline: NodeJS.Timeout | undefined;
    }
  | { readonly kind: 'backoff'; readonly timer: NodeJS.Timeout; readonly attempt: number; readonly renewing: boolean }
  | { readonly kind: 'refused' }
  /** Closing with a drain: the queued requests go out, then our close frame. Reported as `closed`. */
  | { readonly kind: 'draining'; readonly socket: WebSocket }
  | { readonly kind: 'closed' };

export const CLOSED: State = { kind: 'closed' };
export const socketOf = (state: State): WebSocket | undefined => ('socket' in state ? state.socket : undefined);
