/**
 * Who a client is for the per-client budgets and the fair upstream queue: the
 * one place that names a client (`ClientRef`), so every budget and lane keyed
 * on it agrees (MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT, the request scheduler's
 * lanes, Query twins and subscriptions alike).
 *
 * - A graphql-ws socket is a client of its own: it is long-lived, and the
 *   sockets of one address are already capped (MAX_CONNECTIONS_PER_IP).
 * - An HTTP request (a query, an SSE or multipart subscription) is one of
 *   any number from its address, so its address is the client: a flood of
 *   concurrent requests shares one budget and one lane instead of taking a
 *   fresh one each.
 */
import type { ClientRef } from '../../sources/coincall/coincall-source.ts';

/** Where a request or socket comes from. */
export interface ClientOrigin {
  /** The client's address (TRUST_PROXY applied). */
  readonly address: string | undefined;
  /** The graphql-ws socket's number; absent for an HTTP request. */
  readonly socket?: number;
}

/** The client a request or socket counts as. */
export function clientOf(origin: ClientOrigin): ClientRef {
  const id = origin.socket === undefined ? `http:${origin.address ?? 'unknown'}` : `ws:${origin.socket}`;
  return { id, address: origin.address };
}
