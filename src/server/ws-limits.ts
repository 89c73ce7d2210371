/**
 * Two graphql-ws socket rules that `ws` and graphql-ws leave unsaid:
 * - an oversized message (WS_MAX_MESSAGE_BYTES) closes the socket with 1009
 *   and a reason naming the limit and its variable, as SSE's 413 does (`ws`
 *   alone closes with 1009 and an empty reason);
 * - a socket with no operation running (IDLE_CONNECTION_TIMEOUT_MS) is
 *   closed, whether it ever sent `connection_init` or not. One sweep timer
 *   serves every socket; a socket costs one map entry while idle.
 */
import { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '../lib/errors.ts';

/** The close reason of an oversized message (close reasons hold at most 123 bytes). */
export const messageTooBigReason = (maxBytes: number) => `Message too big: the limit is ${maxBytes} bytes (WS_MAX_MESSAGE_BYTES).`;

export const idleReason = (idleMs: number) => `Closed after ${idleMs} ms without a subscription (IDLE_CONNECTION_TIMEOUT_MS).`;

/** `ws`'s error code for a message over `maxPayload`. */
const OVERSIZED = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

/**
 * Closes `socket` with 1009 and `messageTooBigReason` when `ws` finds a
 * message over its `maxPayload`. `ws` reports it on its frame receiver and
 * then closes without a reason; this listener runs first, so the close frame
 * it sends carries the reason (`ws`'s own close then finds the socket closing
 * and does nothing more).
 */
export function explainOversizedMessages(socket: WebSocket, maxBytes: number): void {
  const receiver: unknown = Reflect.get(socket, '_receiver');
  if (!(receiver instanceof Writable)) return;
  receiver.prependListener('error', (error: Error & { code?: unknown }) => {
    if (error.code === OVERSIZED && socket.readyState === socket.OPEN) socket.close(CLOSE_CODES.MESSAGE_TOO_BIG, messageTooBigReason(maxBytes));
  });
}

/** The sweep runs this many times per idle period (the close comes at most a quarter period late)... */
const SWEEPS_PER_PERIOD = 4;
/** ...and at least this often, for long periods. */
const MAX_SWEEP_MS = 10_000;

/** Closes graphql-ws sockets that have run no operation for `idleMs`. */
export class IdleSockets {
  private readonly idleSince = new Map<WebSocket, number>();
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(idleMs: number, now: () => number = Date.now) {
    this.idleMs = idleMs;
    this.now = now;
    this.timer = setInterval(() => this.sweep(), Math.max(1, Math.min(MAX_SWEEP_MS, Math.floor(idleMs / SWEEPS_PER_PERIOD))));
    this.timer.unref();
  }

  /** The socket runs no operation (it just opened, or its last one ended). */
  idle(socket: WebSocket): void {
    if (!this.idleSince.has(socket)) this.idleSince.set(socket, this.now());
  }

  /** The socket runs an operation. */
  busy(socket: WebSocket): void {
    this.idleSince.delete(socket);
  }

  /** The socket closed. */
  forget(socket: WebSocket): void {
    this.idleSince.delete(socket);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const now = this.now();
    for (const [socket, since] of this.idleSince) {
      if (now - since < this.idleMs) continue;
      this.idleSince.delete(socket);
      if (socket.readyState === socket.OPEN) socket.close(CLOSE_CODES.IDLE, idleReason(this.idleMs));
    }
  }
}
