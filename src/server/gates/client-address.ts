/**
 * Who the client is: its IP address, as the per-address limits and the
 * per-address budgets (private handshakes) see it. The TCP peer, unless that
 * peer is a trusted proxy (TRUST_PROXY, a CIDR list): then `X-Forwarded-For`
 * is believed, read from the right, and the rightmost address that is not a
 * trusted proxy is the client (addresses further left could be forged by the
 * client itself). The gates record the address of every request and upgrade
 * they let through; `clientAddress(req)` reads it back anywhere later.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { addressSet, normalizeAddress, type AddressSet } from '../../lib/cidr.ts';

export { normalizeAddress };

/** The proxies whose `X-Forwarded-For` is believed. */
export type TrustedProxies = AddressSet;

/** The trusted proxies from TRUST_PROXY's entries (validated by `config.ts`). */
export const trustedProxies = (entries: readonly string[]): TrustedProxies => addressSet(entries);

export const NO_TRUSTED_PROXIES: TrustedProxies = trustedProxies([]);

/**
 * The client's address from the TCP peer and the `X-Forwarded-For` header(s):
 * the peer itself unless it is trusted; otherwise the rightmost forwarded
 * address that is not a trusted proxy (or the leftmost, when all are). An
 * entry that is not an address ends the walk at the hop that appended it.
 */
export function resolveClientAddress(peer: string, forwardedFor: string | readonly string[] | undefined, trusted: TrustedProxies): string {
  let client = normalizeAddress(peer);
  if (!trusted.has(client) || forwardedFor === undefined) return client;
  const hops = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor)
    .join(',')
    .split(',')
    .map(normalizeAddress)
    .filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i] ?? '';
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return client;
  }
  return client;
}

/** Addresses the gates resolved, per request (upgrade requests included). */
const resolved = new WeakMap<IncomingMessage, string>();

/** Resolves (once) and records the client address of a request. */
export function recordClientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  const known = resolved.get(req);
  if (known !== undefined) return known;
  const address = resolveClientAddress(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], trusted);
  resolved.set(req, address);
  return address;
}

/**
 * The client's address of a request that passed the gates (TRUST_PROXY
 * applied); for any other request, its TCP peer.
 */
export function clientAddress(req: IncomingMessage): string {
  return resolved.get(req) ?? normalizeAddress(req.socket.remoteAddress ?? '');
}
