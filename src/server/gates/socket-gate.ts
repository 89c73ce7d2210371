/**
 * The gate at the TCP `connection` event of the HTTP server: every socket of
 * a direct client counts against MAX_CONNECTIONS_PER_IP from its first
 * moment, while it still sends its request headers (byte by byte, perhaps)
 * and for as long as it lives after, as a WebSocket, an SSE or multipart
 * stream or a keep-alive HTTP connection; the count goes when it closes. A
 * socket beyond the cap is answered 503 at once and never reaches the HTTP
 * parser, unless the address has an idle keep-alive connection (its last
 * response sent, no request since): that one is closed and its slot given to
 * the new socket, so a browser's pooled sockets never lock its own streams
 * out. Sockets of trusted proxies are not counted here (every client
 * behind them shares their address): the request and upgrade gates count
 * those per forwarded address.
 */
import type { ClientLog } from '../client-log.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressGate } from './address-gate.ts';
import { tooManyFromAddress } from './address-gate.ts';
import { normalizeAddress, type TrustedProxies } from './client-address.ts';
import { refusalBody } from './connection-gate.ts';

/** How long a refused socket may linger to read the client's request (so the 503 is read, not reset). */
export const REFUSED_SOCKET_LINGER_MS = 1_000;

/** Answers a socket with 503 before its request is parsed, reads and discards what the client sends, then closes it. */
export function refuseSocket(socket: Socket, message: string): void {
  const body = refusalBody(message);
  socket.on('error', () => socket.destroy());
  socket.on('end', () => socket.destroy());
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), REFUSED_SOCKET_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Puts the per-address count in front of the HTTP server's own `connection`
 * listeners (its parser), which run only for admitted sockets.
 */
export function gateSockets(server: Server, addresses: AddressGate, trusted: TrustedProxies, log?: ClientLog): void {
  const listeners = server.listeners('connection');
  server.removeAllListeners('connection');
  const idle = idleKeepAlive(server);
  // One close listener for every counted socket: its address is read again at close (Node keeps the
  // peer's address once read, so it is the one counted), and a socket closes once.
  function uncount(this: Socket): void {
    addresses.give(normalizeAddress(this.remoteAddress ?? ''));
  }
  server.on('connection', (socket: Socket) => {
    const peer = normalizeAddress(socket.remoteAddress ?? '');
    if (!trusted.has(peer)) {
      if (!addresses.take(peer)) {
        const spare = idle.take(peer);
        if (spare === undefined) {
          log?.refused('tcp', peer, ['TOO_MANY_CONNECTIONS_PER_IP']);
          return refuseSocket(socket, tooManyFromAddress(addresses.max));
        }
        // Its count passes to the new socket.
        spare.off('close', uncount);
        spare.destroy();
      }
      socket.on('close', uncount);
    }
    for (const listener of listeners) Reflect.apply(listener, server, [socket]);
  });
}

/** The idle keep-alive sockets of each address: a socket joins when its response is sent, and leaves at its next request, its upgrade or its close. */
function idleKeepAlive(server: Server): { take(address: string): Socket | undefined } {
  const idle = new Map<string, Set<Socket>>();
  /** Sockets whose close already takes them out (one listener each, however many requests they carry). */
  const watched = new WeakSet<Socket>();
  const leave = (socket: Socket) => {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const sockets = idle.get(address);
    if (sockets?.delete(socket) === true && sockets.size === 0) idle.delete(address);
  };
  // A keep-alive socket upgraded to a WebSocket is a stream now, never idle again.
  server.on('upgrade', (req: IncomingMessage) => leave(req.socket));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    leave(socket);
    res.once('finish', () => {
      if (socket.destroyed || !res.shouldKeepAlive) return;
      const address = normalizeAddress(socket.remoteAddress ?? '');
      const sockets = idle.get(address) ?? new Set<Socket>();
      idle.set(address, sockets.add(socket));
      if (watched.has(socket)) return;
      watched.add(socket);
      socket.once('close', () => leave(socket));
    });
  });
  return {
    take(address) {
      const sockets = idle.get(address);
      const socket = sockets?.values().next().value;
      if (socket !== undefined) leave(socket);
      return socket;
    },
  };
}
