/**
 * The gate in front of yoga for plain HTTP requests: the declared body size
 * cap (HTTP_MAX_BODY_BYTES; 413) and, for requests that may become a
 * Server-Sent Events stream, the connection cap (MAX_CONNECTIONS; 503), held
 * until the response closes. The plain routes (`routes.ts`) pass untouched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refusalBody, TOO_MANY_CONNECTIONS, type ConnectionGate } from './connection-gate.ts';
import { isPlainRoute } from './routes.ts';

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
 * Whether yoga may answer a request with a Server-Sent Events stream: it does
 * for an `Accept` that names `text/event-stream` (in any letter case), allows
 * any type (`*` + `/*`, `text/*`), or is absent. Such requests count against
 * MAX_CONNECTIONS for as long as they stay open.
 */
export function mayStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return /text\/event-stream|text\/\*|\*\/\*/i.test(accept);
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** `next` (yoga's request listener) behind the body cap and the connection cap. */
export function gateRequests(gate: ConnectionGate, maxBodyBytes: number, next: Listener): Listener {
  return (req, res) => {
    if (!isPlainRoute((req.url ?? '/').split('?')[0] ?? '/')) {
      if (bodyTooLarge(req, maxBodyBytes)) {
        gate.refusals.BODY_TOO_LARGE++;
        return refuseRequest(res, 413, bodyTooLargeMessage(maxBodyBytes));
      }
      if (mayStream(req)) {
        if (!gate.hasRoom()) {
          gate.refusals.TOO_MANY_CONNECTIONS++;
          return refuseRequest(res, 503, TOO_MANY_CONNECTIONS);
        }
        res.once('close', gate.hold());
      }
    }
    next(req, res);
  };
}
