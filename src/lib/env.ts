/**
 * Readers of environment variables shared by the gateway's configuration and
 * the standalone simulator: each returns a value (the fallback when unset) and
 * adds a problem to the caller's list when the value is bad, so that start-up
 * can report every problem in one message.
 */
import { isIP } from 'node:net';

export type Env = Readonly<Record<string, string | undefined>>;

/** A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123). */
const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const MAX_HOSTNAME_LENGTH = 253;
export const MAX_PORT = 65_535;

/** A variable's value, trimmed; undefined when unset or blank. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** An integer from `min` to `max`, written in decimal digits. */
export function readInteger(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  // Digits only: Number() would also take "0x50", "1e3" and "5.0".
  if (!/^-?\d+$/.test(raw) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}".`);
    return fallback;
  }
  return n;
}

/** A host name; an all-numeric last label is a mistyped IPv4 address (`256.1.1.1`), not a name. */
function isHostname(text: string): boolean {
  const labels = text.split('.');
  return text.length <= MAX_HOSTNAME_LENGTH && labels.every((label) => HOSTNAME_LABEL.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
}

/** A listen address: an IPv4 or IPv6 address, or a host name. */
export function readHost(env: Env, name: string, fallback: string, problems: string[]): string {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  if (isIP(raw) === 0 && !isHostname(raw))
    problems.push(`${name} must be an IP address (0.0.0.0, 127.0.0.1, ::) or a host name (localhost), got "${raw}".`);
  return raw;
}
