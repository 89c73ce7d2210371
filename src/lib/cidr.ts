/**
 * IP address sets from CIDR lists (TRUST_PROXY): checking an entry, and
 * membership with IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, as a
 * dual-stack socket reports IPv4 peers) seen as the IPv4 address they are.
 */
import { BlockList, isIP } from 'node:net';

export interface AddressSet {
  has(address: string): boolean;
  /** Whether the set holds any address at all. */
  readonly any: boolean;
}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** An address in one canonical form: IPv4-mapped IPv6 as plain IPv4. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = IPV4_MAPPED.exec(trimmed);
  return mapped?.[1] ?? trimmed;
}

/** One entry (`10.0.0.0/8`, `127.0.0.1`, `::1/128`) checked: a problem message, or undefined when it is valid. */
export function cidrProblem(entry: string): string | undefined {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${entry}" is not an IP address or CIDR block`;
  if (prefix === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(prefix) || Number(prefix) > max) return `"${entry}" has a prefix length outside 0–${max}`;
  return undefined;
}

/** The set of addresses of valid entries (see `cidrProblem`). */
export function addressSet(entries: readonly string[]): AddressSet {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    any: entries.length > 0,
    has(address) {
      if (entries.length === 0) return false;
      const normalized = normalizeAddress(address);
      const family = isIP(normalized);
      return family !== 0 && list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
