/**
 * The HTTP server's timeouts, set deliberately rather than left at Node's
 * defaults (under which headers sent byte by byte hold a socket for about
 * 85 s, and are checked only every 30 s). Streams are not affected: these
 * bound receiving the request, not sending the response.
 */
import type { ServerOptions } from 'node:http';

export interface HttpTimeouts {
  /** Time to receive a request's complete headers; a slower client gets 408 and is closed. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection waits for its next request. */
  readonly keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above (their precision). */
  readonly checkIntervalMs: number;
}

/** Headers of a real request arrive in one packet; 10 s is generous even on a poor mobile link. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** Request bodies are at most HTTP_MAX_BODY_BYTES (64 KiB by default): 30 s is ample. */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** Node's default, stated: long enough to reuse a connection between a page's requests. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Check the timeouts every second, so a slow client is closed within a second of its deadline (Node's default: 30 s). */
export const HTTP_TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: HTTP_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: HTTP_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: HTTP_KEEP_ALIVE_TIMEOUT_MS,
  checkIntervalMs: HTTP_TIMEOUT_CHECK_INTERVAL_MS,
};

/** The options of `http.createServer` for these timeouts. */
export function httpServerOptions(timeouts: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  };
}
