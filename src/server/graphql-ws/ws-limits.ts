/**
 * Three graphql-ws socket rules the gateway keeps itself:
 * - an oversized message (WS_MAX_MESSAGE_BYTES) closes the socket with 1009
 *   and a reason naming the limit and its variable, as SSE's 413 does (`ws`
 *   alone closes with 1009 and an empty reason);
 * - a socket with no operation running (IDLE_CONNECTION_TIMEOUT_MS) is
 *   closed, whether it ever sent `connection_init` or not;
 * - a socket that sends no `connection_init` within
 *   WS_CONNECTION_INIT_TIMEOUT_MS is closed with 4408 (graphql-ws's rule,
 *   enforced here so that an initialised socket keeps no timer).
 * One sweep timer per rule serves every socket; a socket costs one map entry
 * while its period runs.
 */
import { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../lib/errors.ts';

/** The close reason of an oversized message (close reasons hold at most 123 bytes). */
export const messageTooBigReason = (maxBytes: number) => `Message too big: the limit is ${maxBytes} bytes (WS_MAX_MESSAGE_BYTES).`;

export const idleReason = (idleMs: number) => `Closed after ${idleMs} ms without a subscription (IDLE_CONNECTION_TIMEOUT_MS).`;

/** `ws`'s error code for a message over `maxPayload`. */
const OVERSIZED = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

/**
 * Returns what makes a socket close with 1009 and `messageTooBigReason` when
 * `ws` finds a message over its `maxPayload`. `ws` reports it on its frame
 * receiver and then closes without a reason; this listener runs first, so the
 * close frame it sends carries the reason (`ws`'s own close then finds the
 * socket closing and does nothing more). One listener serves every socket.
 */
export function oversizedMessageExplainer(maxBytes: number): (socket: WebSocket) => void {
  const sockets = new WeakMap<Writable, WebSocket>();
  function onReceiverError(this: Writable, error: Error & { code?: unknown }): void {
    const socket = sockets.get(this);
    if (socket === undefined || error.code !== OVERSIZED || socket.readyState !== socket.OPEN) return;
    socket.close(CLOSE_CODES.MESSAGE_TOO_BIG, messageTooBigReason(maxBytes));
  }
  return (socket) => {
    const receiver: unknown = Reflect.get(socket, '_receiver');
    if (!(receiver instanceof Writable)) return;
    sockets.set(receiver, socket);
    receiver.prependListener('error', onReceiverError);
  };
}

/** A sweep runs this many times per period (a close comes at most a quarter period late)... */
const SWEEPS_PER_PERIOD = 4;
/** ...and at least this often, for long periods. */
const MAX_SWEEP_MS = 10_000;

/** graphql-ws's reason for a socket that sent no `connection_init` in time. */
export const INIT_TIMEOUT_REASON = 'Connection initialisation timeout';

/**
 * Sockets that are closed once a period runs out for them: one sweep timer
 * for all of them, one map entry per socket while its period runs (no timer
 * or closure per socket).
 */
export class SocketDeadlines {
  private readonly since = new Map<WebSocket, number>();
  private readonly periodMs: number;
  private readonly expire: (socket: WebSocket) => void;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  /** `expire` runs for an open socket whose period ran out (its entry is gone by then). */
  constructor(periodMs: number, expire: (socket: WebSocket) => void, now: () => number = Date.now) {
    this.periodMs = periodMs;
    this.expire = expire;
    this.now = now;
    this.timer = setInterval(() => this.sweep(), Math.max(1, Math.min(MAX_SWEEP_MS, Math.floor(periodMs / SWEEPS_PER_PERIOD))));
    this.timer.unref();
  }

  /** Starts the socket's period, unless it runs already. */
  start(socket: WebSocket): void {
    if (!this.since.has(socket)) this.since.set(socket, this.now());
  }

  /** Ends the socket's period (it did what it had to, or it closed). */
  clear(socket: WebSocket): void {
    this.since.delete(socket);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const now = this.now();
    for (const [socket, since] of this.since) {
      if (now - since < this.periodMs) continue;
      this.since.delete(socket);
      if (socket.readyState === socket.OPEN) this.expire(socket);
    }
  }
}

/** Closes graphql-ws sockets that have run no operation for `idleMs` (whether they ever sent `connection_init` or not). */
export const idleSockets = (idleMs: number, now?: () => number): SocketDeadlines =>
  new SocketDeadlines(idleMs, (socket) => socket.close(CLOSE_CODES.NORMAL, idleReason(idleMs)), now);

/**
 * Closes graphql-ws sockets that send no `connection_init` within `initMs`,
 * with graphql-ws's own code and reason. graphql-ws's built-in timer would do
 * the same, but its closure keeps the fired timer alive for the socket's life.
 */
export const uninitializedSockets = (initMs: number, now?: () => number): SocketDeadlines =>
  new SocketDeadlines(initMs, (socket) => socket.close(CLOSE_CODES.CONNECTION_INIT_TIMEOUT, INIT_TIMEOUT_REASON), now);
