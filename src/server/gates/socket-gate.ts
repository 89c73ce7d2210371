/**
 * The gate at the TCP `connection` event of the HTTP server: every socket of
 * a direct client counts against MAX_CONNECTIONS_PER_IP from its first
 * moment, while it still sends its request headers (byte by byte, perhaps)
 * and for as long as it lives after, as a WebSocket, an SSE or multipart
 * stream or a keep-alive HTTP connection; the count goes when it closes. A
 * socket beyond the cap is answered 503 at once and never reaches the HTTP
 * parser. Sockets of trusted proxies are not counted here (every client
 * behind them shares their address): the request and upgrade gates count
 * those per forwarded address.
 */
import type { ClientLog } from '../client-log.ts';
import type { Server } from 'node:http';
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
  // One close listener for every counted socket: its address is read again at close (Node keeps the
  // peer's address once read, so it is the one counted), and a socket closes once.
  function uncount(this: Socket): void {
    addresses.give(normalizeAddress(this.remoteAddress ?? ''));
  }
  server.on('connection', (socket: Socket) => {
    const peer = normalizeAddress(socket.remoteAddress ?? '');
    if (!trusted.has(peer)) {
      if (!addresses.take(peer)) {
        log?.refused('tcp', peer, ['TOO_MANY_CONNECTIONS_PER_IP']);
        return refuseSocket(socket, tooManyFromAddress(addresses.max));
      }
      socket.on('close', uncount);
    }
    for (const listener of listeners) Reflect.apply(listener, server, [socket]);
  });
}
