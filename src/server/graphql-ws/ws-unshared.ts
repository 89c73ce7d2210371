/**
 * The subscriptions each graphql-ws socket runs on graphql-ws's own path, not
 * the shared fan-out (private channels, resumes with `after`, sharing off),
 * so that the keepalive ends a stuck socket's subscriptions there too as the
 * fan-out ends its members: an in-band `SUBSCRIBER_TOO_SLOW` error and
 * `complete`, queued behind what the socket has yet to read, before its close.
 *
 * graphql-ws's own loop of such an operation waits for its last write, which
 * a stuck socket never takes: the two messages are written here directly,
 * the operation is taken out of graphql-ws's table (so that it sends nothing
 * more for it, not even its own `complete`) and its iterator is returned
 * (the upstream subscription is released).
 */
import type { WebSocket } from 'ws';
import { asGraphQLError, subscriberTooSlow } from '../../lib/errors.ts';
import type { WsContext } from './ws-envelop.ts';
import { countSent } from './ws-liveness.ts';

export interface UnsharedOperations {
  /** graphql-ws runs subscription `id` of `ctx` on its own path. */
  opened(ctx: WsContext, id: string): void;
  /** It ended (graphql-ws's `onComplete`). */
  closed(ctx: WsContext, id: string): void;
  /** Ends every such subscription of the stuck `socket` in band (`keepAliveMs`: the round it read nothing); returns how many. */
  endStuck(socket: WebSocket, keepAliveMs: number): number;
}

/** The in-band error that ends a stuck socket's subscription. */
export const stuckPayload = (keepAliveMs: number): string =>
  JSON.stringify({
    errors: [
      asGraphQLError(
        subscriberTooSlow(
          `The client read nothing for ${keepAliveMs} ms (no pong either) and its subscription was ended; resubscribe to continue.`,
        ),
      ).toJSON(),
    ],
  });

interface SocketOperations {
  readonly ctx: WsContext;
  readonly ids: Set<string>;
}

export function trackUnsharedOperations(): UnsharedOperations {
  const bySocket = new WeakMap<WebSocket, SocketOperations>();

  const write = (socket: WebSocket, text: string) => {
    countSent(socket, text);
    socket.send(text);
  };

  return {
    opened(ctx, id) {
      const socket = ctx.extra.socket;
      let entry = bySocket.get(socket);
      if (entry === undefined) bySocket.set(socket, (entry = { ctx, ids: new Set() }));
      entry.ids.add(id);
    },
    closed(ctx, id) {
      const entry = bySocket.get(ctx.extra.socket);
      if (entry === undefined) return;
      entry.ids.delete(id);
      if (entry.ids.size === 0) bySocket.delete(ctx.extra.socket);
    },
    endStuck(socket, keepAliveMs) {
      const entry = bySocket.get(socket);
      if (entry === undefined) return 0;
      bySocket.delete(socket);
      const { ctx, ids } = entry;
      let ended = 0;
      for (const id of ids) {
        if (!(id in ctx.subscriptions)) continue;
        const operation = ctx.subscriptions[id];
        delete ctx.subscriptions[id];
        if (socket.readyState === socket.OPEN) {
          const quoted = JSON.stringify(id);
          write(socket, `{"id":${quoted},"type":"next","payload":${stuckPayload(keepAliveMs)}}`);
          write(socket, `{"id":${quoted},"type":"complete"}`);
        }
        if (operation !== null && operation !== undefined && 'return' in operation && typeof operation.return === 'function')
          operation.return(undefined).catch(() => undefined);
        ended++;
      }
      return ended;
    },
  };
}
