/**
 * graphql-ws over the `ws` library: a thin adapter around graphql-ws's pure
 * protocol core (`makeServer`), in place of the stock `graphql-ws/use/ws`.
 * Differences: it logs through the gateway's logger (never the console),
 * refuses binary frames as a protocol violation (4400), and treats a socket's
 * error (oversized or invalid frame, reset) as that socket's problem only.
 * It constructs no socket; `http.ts` owns the WebSocketServer.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../lib/logger.ts';

/** The parts of the upgrade request kept for the socket's lifetime (not the whole IncomingMessage). */
export interface UpgradeRequest {
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** What graphql-ws hooks see as `ctx.extra`. */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: UpgradeRequest;
}

export interface WsAdapterOptions {
  /** Ping period; a socket that does not answer a ping within the same period is terminated. */
  readonly keepAliveMs: number;
  readonly logger: Logger;
}

export function serveGraphqlWs(
  wss: WebSocketServer,
  serverOptions: ServerOptions<Record<string, unknown> | undefined, WsExtra>,
  { keepAliveMs, logger }: WsAdapterOptions,
): void {
  const server = makeServer(serverOptions);
  // One keep-alive timer for every socket: each round, a socket that did not answer the
  // previous ping is terminated, and every other one is pinged again.
  const awaitingPong = new Set<WebSocket>();
  const pinger = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, keepAliveMs);
  pinger.unref();
  wss.once('close', () => clearInterval(pinger));

  wss.on('connection', (socket: WebSocket, incoming: IncomingMessage) => {
    // `ws` has already started closing with the right code (1009, 1007, 1002) when it reports a frame error.
    socket.on('error', (error) => logger.debug({ err: error.message }, 'graphql-ws socket error'));
    socket.on('pong', () => awaitingPong.delete(socket));
    const request: UpgradeRequest = { url: incoming.url, headers: incoming.headers };

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            // A failed send means the socket is going away; its close handler cleans up.
            socket.send(data, () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) => {
          const dispatch = createIdOrdering(
            (text) =>
              handle(text).catch((error: unknown) => {
                logger.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'graphql-ws message handling failed');
                if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
              }),
            () => socket.readyState === socket.OPEN,
          );
          socket.on('message', (data, isBinary) => {
            if (isBinary) {
              socket.close(CloseCode.BadRequest, 'Binary messages are not accepted');
              return;
            }
            const text = String(data);
            const peeked = peekMessage(text);
            if (isServerOnlyType(peeked?.type)) {
              socket.close(CloseCode.BadRequest, `Unexpected message of type ${String(peeked?.type)} received`);
              return;
            }
            if (dispatch(text, peeked) === 'duplicate') socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${String(peeked?.id)} already exists`);
          });
        },
      },
      { socket, request },
    );

    socket.once('close', (code, reason) => {
      awaitingPong.delete(socket);
      closed(code, reason.toString()).catch((error: unknown) => logger.error({ err: String(error) }, 'graphql-ws close handling failed'));
    });
  });
}

/** Types only the server sends; graphql-ws's core throws (an internal error) when a client sends one. */
const SERVER_ONLY_TYPES: ReadonlySet<unknown> = new Set(['connection_ack', 'next', 'error']);

/** The `type` and `id` of a message, without trusting anything else in it; undefined when it is not a JSON object. */
export function peekMessage(text: string): { readonly type: unknown; readonly id: unknown } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { type, id } = message as { type?: unknown; id?: unknown };
  return { type, id };
}

/** A message of a type only the server sends (`next`, `connection_ack`...): a protocol violation. */
export function isServerOnlyType(type: unknown): type is string {
  return SERVER_ONLY_TYPES.has(type);
}

interface IdState {
  /** The client sent `complete` for the running operation: it is winding down. */
  completed: boolean;
  /** A `subscribe` that reused the id while the previous operation wound down; it starts once that one has ended. */
  queued: { readonly text: string; cancelled: boolean } | undefined;
}

/**
 * Orders one socket's messages per operation id. graphql-ws (6.x) forgets an
 * id only when the operation's handler ends; a client that sends `complete`
 * and at once `subscribe` with the same id would otherwise start the new
 * operation before the old handler's clean-up runs, and that clean-up would
 * then unregister the new one: an orphan that no `complete` nor socket close
 * can stop. Here a reused id waits until its previous operation has ended (a
 * `complete` for it meanwhile cancels it), a `subscribe` for an id that is
 * still live goes through (graphql-ws closes with 4409), and a `subscribe`
 * for an id that already has one waiting is reported as `duplicate`. A
 * waiting `subscribe` is dropped when the socket has closed by its turn.
 * Every other message is handed over at once, in order.
 */
export function createIdOrdering(
  handle: (text: string) => Promise<void>,
  isOpen: () => boolean,
): (text: string, peeked: ReturnType<typeof peekMessage>) => 'handled' | 'duplicate' {
  const ids = new Map<string, IdState>();
  const start = (id: string, text: string) => {
    const state: IdState = { completed: false, queued: undefined };
    ids.set(id, state);
    void handle(text).finally(() => {
      if (ids.get(id) === state) ids.delete(id);
      const next = state.queued;
      // A socket that closed in the meantime has no one left to serve.
      if (next !== undefined && !next.cancelled && isOpen()) start(id, next.text);
    });
  };
  return (text, peeked) => {
    if (peeked === undefined || (peeked.type !== 'subscribe' && peeked.type !== 'complete') || typeof peeked.id !== 'string') {
      void handle(text);
      return 'handled';
    }
    const operation = { type: peeked.type, id: peeked.id };
    const state = ids.get(operation.id);
    if (operation.type === 'subscribe') {
      if (state === undefined) start(operation.id, text);
      else if (!state.completed) void handle(text);
      else if (state.queued !== undefined && !state.queued.cancelled) return 'duplicate';
      else state.queued = { text, cancelled: false };
      return 'handled';
    }
    if (state?.queued !== undefined && !state.queued.cancelled) state.queued.cancelled = true;
    else if (state !== undefined) {
      state.completed = true;
      void handle(text);
    } else void handle(text);
    return 'handled';
  };
}
