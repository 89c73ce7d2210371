/**
 * The gate in front of yoga for plain HTTP requests: the client's address
 * recorded (`client-address.ts`), the declared body size cap
 * (HTTP_MAX_BODY_BYTES; 413). The plain routes (`routes.ts`) pass untouched.
 * Streams (Server-Sent Events, Apollo's multipart subscriptions) meet the
 * connection caps once yoga has parsed their parameters and they are known to
 * be subscriptions (`stream-admission.ts`): a plain query never counts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tooManyFromAddress, type AddressGate } from './address-gate.ts';
import { clientAddress, normalizeAddress, recordClientAddress, type TrustedProxies } from './client-address.ts';
import type { ClientTransport } from '../client-log.ts';
import { refusalBody, TOO_MANY_CONNECTIONS, type ConnectionGate } from './connection-gate.ts';
import { isPlainRoute } from '../routes.ts';

/** The per-address cap of clients behind trusted proxies. */
export interface ProxiedClients {
  readonly addresses: AddressGate;
  readonly trusted: TrustedProxies;
}

/**
 * For a connection from a trusted proxy, one count for the forwarded client
 * address (released by the caller when the stream or socket ends); `null`
 * when the client is at its cap; undefined when the peer is not a proxy
 * (its socket is counted already).
 */
export function holdProxiedClient(req: IncomingMessage, proxied: ProxiedClients): (() => void) | null | undefined {
  const address = recordClientAddress(req, proxied.trusted);
  if (!proxied.trusted.has(normalizeAddress(req.socket.remoteAddress ?? ''))) return undefined;
  return proxied.addresses.hold(address) ?? null;
}

/** A long-lived connection let in (with its per-address count's release, if one was held), or refused with a message. */
export type Admission =
  { readonly admitted: true; readonly perAddress: (() => void) | undefined } | { readonly admitted: false; readonly message: string };

/**
 * The checks every long-lived connection (an SSE or multipart stream, a
 * WebSocket upgrade) passes before anything reaches yoga or graphql-ws: the
 * connection cap, then, behind a trusted proxy, the forwarded address's cap.
 * A refusal is counted by its code.
 */
export function admitLongLived(
  gate: ConnectionGate,
  req: IncomingMessage,
  proxied: ProxiedClients | undefined,
  transport: ClientTransport,
): Admission {
  if (!gate.hasRoom()) {
    gate.refused('TOO_MANY_CONNECTIONS', transport, clientAddress(req));
    return { admitted: false, message: TOO_MANY_CONNECTIONS };
  }
  const perAddress = proxied === undefined ? undefined : holdProxiedClient(req, proxied);
  if (perAddress === null) {
    gate.refused('TOO_MANY_CONNECTIONS_PER_IP', transport, clientAddress(req));
    return { admitted: false, message: tooManyFromAddress(proxied?.addresses.max ?? 0) };
  }
  return { admitted: true, perAddress };
}

export const bodyTooLargeMessage = (maxBytes: number) => `Request body too large: the limit is ${maxBytes} bytes (HTTP_MAX_BODY_BYTES).`;

/** Answers a plain HTTP request with a status and a GraphQL-shaped JSON error. */
export function refuseRequest(res: ServerResponse, status: 413 | 503, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(refusalBody(message));
}

/** The declared body size is beyond the cap (a body without a length is left to the parser and the token limit). */
export function bodyTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > maxBytes;
}

/**
 * Whether yoga may answer a request with a stream: Server-Sent Events for an
 * `Accept` that names `text/event-stream` (in any letter case), allows any
 * type (`*` + `/*`, `text/*`), or is absent; Apollo's multipart subscriptions
 * for one that names `multipart/mixed` (or `multipart/*`). A subscription
 * sent so counts against MAX_CONNECTIONS for as long as it stays open.
 */
export function mayStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return /text\/event-stream|text\/\*|\*\/\*|multipart\/(mixed|\*)/i.test(accept);
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** `next` (yoga's request listener) behind the body cap; the client's address recorded behind a trusted proxy. */
export function gateRequests(gate: ConnectionGate, maxBodyBytes: number, next: Listener, proxied?: ProxiedClients): Listener {
  return (req, res) => {
    if (proxied !== undefined) recordClientAddress(req, proxied.trusted);
    if (!isPlainRoute((req.url ?? '/').split('?')[0] ?? '/')) {
      if (bodyTooLarge(req, maxBodyBytes)) {
        gate.refused('BODY_TOO_LARGE', 'http', clientAddress(req));
        return refuseRequest(res, 413, bodyTooLargeMessage(maxBodyBytes));
      }
    }
    next(req, res);
  };
}
