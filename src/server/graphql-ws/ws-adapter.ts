/**
 * graphql-ws over the `ws` library: a thin adapter around graphql-ws's pure
 * protocol core (`makeServer`), in place of the stock `graphql-ws/use/ws`.
 * Differences: it logs through the gateway's logger (never the console);
 * refuses binary frames and messages of the server's own types as protocol
 * violations (4400); orders a reused operation id after its previous
 * operation (`IdOrdering`, in `id-ordering.ts`); keeps only the upgrade headers plugins may
 * read; and treats a socket's error (oversized or invalid frame,
 * reset) as that socket's problem only; explains an oversized message in its
 * close reason and closes idle sockets (`ws-limits.ts`); keeps sockets alive
 * without cutting slow readers (`ws-liveness.ts`). It constructs no socket;
 * `gateway-server.ts` owns the WebSocketServer. Close codes come from the
 * one table in `lib/errors.ts`.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { CLOSE_CODES } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { clientAddress } from '../gates/client-address.ts';
import { IdOrdering, isServerOnlyType, peekMessage } from './id-ordering.ts';
import { idleSockets, oversizedMessageExplainer, uninitializedSockets, type SocketDeadlines } from './ws-limits.ts';
import { countSent, startKeepAlive, type KeepAlive } from './ws-liveness.ts';

/** The parts of the upgrade request kept for the socket's lifetime (not the whole IncomingMessage). */
export interface UpgradeRequest {
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The client's address, TRUST_PROXY applied (`client-address.ts`). */
  readonly address: string;
}

/** What graphql-ws hooks see as `ctx.extra`. */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: UpgradeRequest;
}

export interface WsAdapterOptions {
  /** Ping period; a socket that neither answers a ping nor reads anything for a period is stuck (`ws-liveness.ts`). */
  readonly keepAliveMs: number;
  /** Ends a stuck socket's subscriptions in band with SUBSCRIBER_TOO_SLOW; returns how many. */
  readonly onStuck?: (socket: WebSocket) => number;
  readonly logger: Logger;
  /** `maxPayload` of the WebSocketServer (WS_MAX_MESSAGE_BYTES), named in the close reason of a larger message. */
  readonly maxMessageBytes?: number;
  /** A socket with no operation running this long is closed (IDLE_CONNECTION_TIMEOUT_MS); none when absent. */
  readonly idleTimeoutMs?: number;
  /**
   * A socket that sends no `connection_init` this long is closed with 4408
   * (WS_CONNECTION_INIT_TIMEOUT_MS). Kept here, not by graphql-ws, whose timer
   * would stay alive with every socket: give graphql-ws `Infinity`.
   */
  readonly initTimeoutMs?: number;
}

/** The per-socket time rules, shared by every socket's adapter. */
interface Deadlines {
  readonly idle: SocketDeadlines | undefined;
  readonly init: SocketDeadlines | undefined;
}

/**
 * Per-socket state lives in instances of the classes below, whose methods sit
 * once on their prototypes: an open subscription should cost as little memory
 * as possible, and a closure per socket (or per message handler) costs its
 * context plus, under tsx (esbuild `keepNames`), a renamed function object.
 */
export function serveGraphqlWs(
  wss: WebSocketServer,
  serverOptions: ServerOptions<Record<string, unknown> | undefined, WsExtra>,
  { keepAliveMs, onStuck, logger, maxMessageBytes, idleTimeoutMs, initTimeoutMs }: WsAdapterOptions,
): Pick<KeepAlive, 'stuckClosed' | 'stuckEnded'> {
  const server = makeServer(serverOptions);
  const deadlines: Deadlines = {
    idle: idleTimeoutMs === undefined ? undefined : idleSockets(idleTimeoutMs),
    init: initTimeoutMs === undefined ? undefined : uninitializedSockets(initTimeoutMs),
  };
  wss.once('close', () => {
    deadlines.idle?.stop();
    deadlines.init?.stop();
  });
  // One keep-alive timer for every socket: judged by pong or by what it reads (`ws-liveness.ts`).
  const keepAlive = startKeepAlive(wss, { keepAliveMs, logger, ...(onStuck === undefined ? {} : { onStuck }) });
  wss.once('close', () => keepAlive.stop());

  // Listeners shared by every socket (`this` is the socket).
  function onError(this: WebSocket, error: Error): void {
    // `ws` has already started closing with the right code (1009, 1007, 1002) when it reports a frame error.
    logger.debug({ err: error.message }, 'graphql-ws socket error');
  }
  function onPong(this: WebSocket): void {
    keepAlive.pong(this);
  }
  const explainOversized = maxMessageBytes === undefined ? undefined : oversizedMessageExplainer(maxMessageBytes);
  // Each socket's adapter, for the shared listeners (a map entry costs less than a closure per socket).
  const adapters = new WeakMap<WebSocket, SocketAdapter>();
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    adapters.get(this)?.receive(data, isBinary);
  }
  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    deadlines.idle?.clear(this);
    deadlines.init?.clear(this);
    adapters.get(this)?.onClose(code, reason);
  }

  wss.on('connection', (socket: WebSocket, incoming: IncomingMessage) => {
    socket.on('error', onError);
    socket.on('pong', onPong);
    explainOversized?.(socket);
    deadlines.idle?.start(socket);
    deadlines.init?.start(socket);
    const adapter = new SocketAdapter(socket, logger, deadlines);
    adapters.set(socket, adapter);
    // graphql-ws registers its message handler (`onMessage`) within `opened`.
    adapter.closed = server.opened(adapter, {
      socket,
      request: { url: incoming.url, headers: keptHeaders(incoming.headers), address: clientAddress(incoming) },
    });
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
  return { stuckClosed: keepAlive.stuckClosed, stuckEnded: keepAlive.stuckEnded };
}

/** graphql-ws's view of one `ws` socket, and that socket's message handling. */
class SocketAdapter {
  readonly socket: WebSocket;
  readonly logger: Logger;
  readonly protocol: string;
  readonly deadlines: Deadlines;
  closed: ((code?: number, reason?: string) => Promise<void>) | undefined = undefined;
  /** graphql-ws's message handler behind the per-id ordering (none if graphql-ws refused the socket). */
  private ordering: IdOrdering | undefined = undefined;

  constructor(socket: WebSocket, logger: Logger, deadlines: Deadlines) {
    this.socket = socket;
    this.logger = logger;
    this.protocol = socket.protocol;
    this.deadlines = deadlines;
  }

  /** How many operations the socket runs now: none makes it idle. */
  running(count: number): void {
    if (count === 0) this.deadlines.idle?.start(this.socket);
    else this.deadlines.idle?.clear(this.socket);
  }

  send(data: string): Promise<void> {
    const socket = this.socket;
    return new Promise<void>((resolve) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      countSent(socket, data);
      // A failed send means the socket is going away; its close handler cleans up.
      socket.send(data, () => resolve());
    });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.ordering = new IdOrdering(handle, this);
  }

  /** Whether the socket is still open (a queued operation is dropped otherwise). */
  isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** graphql-ws's handler failed: an internal error, that socket's problem only. */
  failed(error: unknown): void {
    this.logger.error(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
      'graphql-ws message handling failed',
    );
    if (this.isOpen()) this.socket.close(CLOSE_CODES.INTERNAL_SERVER_ERROR, 'Internal server error');
  }

  onClose(code: number, reason: Buffer): void {
    this.closed?.(code, reason.toString()).catch((error: unknown) =>
      this.logger.error({ err: String(error) }, 'graphql-ws close handling failed'),
    );
  }

  /** One message from the socket (the shared listener of `serveGraphqlWs` calls it). */
  receive(data: RawData, isBinary: boolean): void {
    const ordering = this.ordering;
    if (ordering === undefined) return;
    if (isBinary) {
      this.socket.close(CLOSE_CODES.BAD_REQUEST, 'Binary messages are not accepted');
      return;
    }
    const text = String(data);
    const peeked = peekMessage(text);
    if (isServerOnlyType(peeked?.type)) {
      this.socket.close(CLOSE_CODES.BAD_REQUEST, `Unexpected message of type ${String(peeked?.type)} received`);
      return;
    }
    if (peeked?.type === 'connection_init') this.deadlines.init?.clear(this.socket);
    if (ordering.dispatch(text, peeked) === 'duplicate')
      this.socket.close(CLOSE_CODES.SUBSCRIBER_ALREADY_EXISTS, `Subscriber for ${String(peeked?.id)} already exists`);
  }
}

/**
 * The upgrade headers a graphql-ws operation's plugins may read (through its
 * `request`), kept for the socket's life. An allow-list: a browser's upgrade
 * also carries cookies, languages, cache and handshake headers, often a
 * kilobyte or more, which nothing reads once the socket is open.
 */
const KEPT_HEADERS: readonly string[] = ['host', 'origin', 'user-agent', 'authorization', 'x-request-id'];

/** The upgrade request's headers that stay with the socket (see KEPT_HEADERS). */
export function keptHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const name of KEPT_HEADERS) if (headers[name] !== undefined) kept[name] = headers[name];
  return kept;
}
