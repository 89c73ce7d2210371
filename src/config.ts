/**
 * Configuration: read from the environment once, validated as a whole. Every
 * problem is collected so start-up fails with one message listing them all.
 */
import { isIP } from 'node:net';
import { limitsFrom, type GatewayLimits } from './lib/limits.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_OPTIONS_WS_URL = 'wss://ws.coincall.com/options';
export const DEFAULT_FUTURES_WS_URL = 'wss://ws.coincall.com/futures';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly upstream: 'simulator' | 'coincall';
  readonly optionsWsUrl: string;
  readonly futuresWsUrl: string;
  /** The server's key: signs the shared public connections (required for `coincall`). */
  readonly apiKey: string | undefined;
  readonly apiSecret: string | undefined;
  readonly logLevel: LogLevel;
  /** The server's guards (see `lib/limits.ts`); omitted means every default. */
  readonly limits?: GatewayLimits;
}

export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly problems: readonly string[] };

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}".`);
    return fallback;
  }
  return n;
}

function wsUrl(env: Env, name: string, fallback: string, problems: string[]): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('protocol');
  } catch {
    problems.push(`${name} must be a ws:// or wss:// URL, got "${raw}".`);
  }
  return raw;
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123). */
const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const MAX_HOSTNAME_LENGTH = 253;

/** A host name; an all-numeric last label is a mistyped IPv4 address (`256.1.1.1`), not a name. */
function isHostname(text: string): boolean {
  const labels = text.split('.');
  return text.length <= MAX_HOSTNAME_LENGTH && labels.every((label) => HOSTNAME_LABEL.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
}

/** The listen address: an IPv4 or IPv6 address, or a host name. */
function host(env: Env, problems: string[]): string {
  const raw = env['HOST'];
  if (raw === undefined || raw === '') return DEFAULT_HOST;
  if (isIP(raw) === 0 && !isHostname(raw))
    problems.push(`HOST must be an IP address (0.0.0.0, 127.0.0.1, ::) or a host name (localhost), got "${raw}".`);
  return raw;
}

export function readConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const apiKey = env['COINCALL_API_KEY'] || undefined;
  const apiSecret = env['COINCALL_API_SECRET'] || undefined;
  if ((apiKey === undefined) !== (apiSecret === undefined))
    problems.push('COINCALL_API_KEY and COINCALL_API_SECRET must be set together.');

  const upstreamRaw = env['UPSTREAM'] || (apiKey !== undefined ? 'coincall' : 'simulator');
  let upstream: Config['upstream'] = 'simulator';
  if (upstreamRaw === 'simulator' || upstreamRaw === 'coincall') upstream = upstreamRaw;
  else problems.push(`UPSTREAM must be "simulator" or "coincall", got "${upstreamRaw}".`);
  if (upstream === 'coincall' && (apiKey === undefined || apiSecret === undefined))
    problems.push('UPSTREAM=coincall needs COINCALL_API_KEY and COINCALL_API_SECRET: Coincall signs every connection, public data included.');

  const logLevelRaw = env['LOG_LEVEL'] || 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw) ? (logLevelRaw as LogLevel) : 'info';
  if (logLevel !== logLevelRaw) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelRaw}".`);

  const config: Config = {
    port: integer(env, 'PORT', 4000, 0, 65_535, problems),
    host: host(env, problems),
    upstream,
    optionsWsUrl: wsUrl(env, 'COINCALL_OPTIONS_WS_URL', DEFAULT_OPTIONS_WS_URL, problems),
    futuresWsUrl: wsUrl(env, 'COINCALL_FUTURES_WS_URL', DEFAULT_FUTURES_WS_URL, problems),
    apiKey,
    apiSecret,
    logLevel,
    limits: limitsFrom((setting) => integer(env, setting.env, setting.fallback, setting.min, setting.max, problems)),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}
