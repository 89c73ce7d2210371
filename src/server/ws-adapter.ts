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
        onMessage: (handle) =>
          socket.on('message', (data, isBinary) => {
            if (isBinary) {
              socket.close(CloseCode.BadRequest, 'Binary messages are not accepted');
              return;
            }
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'graphql-ws message handling failed');
              if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );

    socket.once('close', (code, reason) => {
      awaitingPong.delete(socket);
      closed(code, reason.toString()).catch((error: unknown) => logger.error({ err: String(error) }, 'graphql-ws close handling failed'));
    });
  });
}
