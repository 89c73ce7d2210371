/**
 * The gate in front of graphql-ws for WebSocket upgrades: only `/graphql`
 * upgrades (404 otherwise), only while the connection cap has room (503 with
 * a GraphQL-shaped body otherwise), and a socket that slipped past the cap
 * during a concurrent handshake leaves at once with 1013 ("try again later").
 * An accepted socket is counted until it closes (as a member of the
 * WebSocketServer's client set), and handed to graphql-ws
 * through the WebSocketServer's `connection` event. A client behind a trusted
 * proxy is also counted against its forwarded address
 * (MAX_CONNECTIONS_PER_IP; direct clients are counted per TCP socket by
 * `socket-gate.ts`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { CLOSE_CODES } from '../../lib/errors.ts';
import { refusalBody, TOO_MANY_CONNECTIONS, type ConnectionGate } from './connection-gate.ts';
import { clientAddress, recordClientAddress } from './client-address.ts';
import { admitLongLived, type ProxiedClients } from './request-gate.ts';
import { GRAPHQL_PATH } from '../routes.ts';

/** Refuses a WebSocket upgrade with an HTTP status and a GraphQL-shaped JSON body. */
export function refuseUpgrade(socket: Duplex, status: 503, message: string): void {
  const body = refusalBody(message);
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The HTTP server's `upgrade` listener: the checks above, then the handshake on `wsServer`. */
export function gateUpgrades(
  gate: ConnectionGate,
  wsServer: WebSocketServer,
  proxied?: ProxiedClients,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    if (proxied !== undefined) recordClientAddress(req, proxied.trusted);
    if ((req.url ?? '').split('?')[0] !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const admission = admitLongLived(gate, req, proxied, 'ws');
    if (!admission.admitted) return refuseUpgrade(socket, 503, admission.message);
    // A failed handshake never opens the socket: its per-address count goes with the TCP socket.
    if (admission.perAddress !== undefined) socket.once('close', admission.perAddress);
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      // The socket is counted from here on, as a member of the server's client set (`gateway-server.ts`).
      // Concurrent handshakes can all pass the check above; the ones beyond the cap leave at once.
      if (gate.overCap()) {
        gate.refused('TOO_MANY_CONNECTIONS', 'ws', clientAddress(req));
        return ws.close(CLOSE_CODES.TRY_AGAIN_LATER, TOO_MANY_CONNECTIONS);
      }
      wsServer.emit('connection', ws, req);
    });
  };
}
