/**
 * The graphql-ws keepalive: one timer for every socket, which judges a socket
 * alive by its pong OR by the progress of what it reads, so that a healthy
 * client that reads slowly (its pong waits behind megabytes) is never cut.
 *
 * Each round (`keepAliveMs`), a socket that answered the previous ping, or
 * had none, is pinged. One that did not answer is judged by its backlog:
 * - it took bytes since the ping (the gateway's bytes sent minus what the
 *   socket still buffers grew): slow but alive, it stays;
 * - it took nothing for a whole round: stuck. Its subscriptions, on the
 *   shared path (`fanout.ts`) and on graphql-ws's own (`ws-unshared.ts`),
 *   are ended first, in band (`SUBSCRIBER_TOO_SLOW`, then `complete`,
 *   queued behind what it has yet to read), and it gets one more
 *   round; if it is still stuck then (or had no subscription to end), the
 *   socket is closed with 1013 and a reason that says why, never dropped
 *   without one.
 *
 * The bytes the gateway hands to each socket are counted by its writers
 * (`ws-adapter.ts` for graphql-ws's messages, `ws-sink.ts` for the shared
 * path, `ws-unshared.ts` for the end of a stuck socket's own subscriptions).
 */
import type { WebSocket, WebSocketServer } from 'ws';
import { CLOSE_CODES } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';

const sentBytes = new WeakMap<WebSocket, number>();

/** Records `bytes` handed to `socket` (a message about to be sent). */
export function countSent(socket: WebSocket, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  sentBytes.set(socket, (sentBytes.get(socket) ?? 0) + bytes);
}

/** How many of the bytes handed to `socket` it has taken (sent minus still buffered; frame headers make it a slight underestimate). */
export function drainedBytes(socket: WebSocket): number {
  return (sentBytes.get(socket) ?? 0) - socket.bufferedAmount;
}

/** The close reason of a stuck socket (under the 123 bytes a close frame allows). */
export const stuckReason = (keepAliveMs: number) =>
  `SUBSCRIBER_TOO_SLOW: no pong and nothing read for ${keepAliveMs} ms; reconnect to continue`;

export interface KeepAliveOptions {
  readonly keepAliveMs: number;
  readonly logger: Logger;
  /** Ends the socket's subscriptions in band with SUBSCRIBER_TOO_SLOW; returns how many it ended. */
  readonly onStuck?: (socket: WebSocket) => number;
}

export interface KeepAlive {
  /** The socket answered a ping. */
  pong(socket: WebSocket): void;
  /** Sockets closed because they were stuck, since start. */
  readonly stuckClosed: () => number;
  /** Subscriptions of stuck sockets ended in band (SUBSCRIBER_TOO_SLOW), since start. */
  readonly stuckEnded: () => number;
  stop(): void;
}

interface Liveness {
  /** A ping went out and no pong came back yet. */
  awaiting: boolean;
  /** `drainedBytes` when that ping went out, or at the last progress seen since. */
  drainedAt: number;
  /** Its subscriptions were ended as stuck; the next stuck round closes it. */
  warned: boolean;
}

export function startKeepAlive(wss: WebSocketServer, { keepAliveMs, logger, onStuck }: KeepAliveOptions): KeepAlive {
  const states = new WeakMap<WebSocket, Liveness>();
  let stuckClosed = 0;
  let stuckEnded = 0;
  const round = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    const drained = drainedBytes(socket);
    let state = states.get(socket);
    if (state === undefined) states.set(socket, (state = { awaiting: false, drainedAt: drained, warned: false }));
    if (!state.awaiting) {
      state.awaiting = true;
      state.drainedAt = drained;
      socket.ping();
      return;
    }
    if (drained > state.drainedAt) {
      // Slow, not stuck: it reads; its pong is behind what it has yet to read.
      state.drainedAt = drained;
      state.warned = false;
      return;
    }
    if (!state.warned) {
      state.warned = true;
      const ended = onStuck?.(socket) ?? 0;
      if (ended > 0) {
        stuckEnded += ended;
        logger.warn({ subscriptions: ended, keepAliveMs }, 'graphql-ws socket stuck: its subscriptions ended with SUBSCRIBER_TOO_SLOW');
        return;
      }
    }
    stuckClosed++;
    logger.warn({ keepAliveMs }, 'graphql-ws socket stuck: closed');
    socket.close(CLOSE_CODES.TRY_AGAIN_LATER, stuckReason(keepAliveMs));
  };
  const timer = setInterval(() => {
    for (const socket of wss.clients) round(socket);
  }, keepAliveMs);
  timer.unref();
  return {
    pong(socket) {
      const state = states.get(socket);
      if (state === undefined) return;
      state.awaiting = false;
      state.warned = false;
    },
    stuckClosed: () => stuckClosed,
    stuckEnded: () => stuckEnded,
    stop: () => clearInterval(timer),
  };
}
