/**
 * Configuration: read from the environment once, validated as a whole. Every
 * problem is collected so start-up fails with one message listing them all.
 */
import { readAccessConfig, type AccessConfig } from './auth/access-config.ts';
import { cidrProblem } from './lib/cidr.ts';
import { readClusterConfig, type ClusterConfig } from './lib/cluster-config.ts';
import { readHost, readInteger, MAX_PORT, type Env } from './lib/env.ts';
import { envLookalikes } from './lib/env-lookalikes.ts';
import { LIMIT_NAMES, LIMIT_SETTINGS, limitsFrom, type GatewayLimits } from './lib/limits.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `json`: one JSON object per line (pino's own format, for log collectors); `pretty`: pino-pretty's coloured lines, for a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** CORS_ORIGINS: every origin without credentials (`*`), or a list of origins allowed with credentials. */
export type CorsOrigins = '*' | readonly string[];

export const DEFAULT_PORT = 4000;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_OPTIONS_WS_URL = 'wss://ws.coincall.com/options';
export const DEFAULT_FUTURES_WS_URL = 'wss://ws.coincall.com/futures';
/** Coincall's REST base: the instrument list (`COINCALL_REST_URL`). */
export const DEFAULT_REST_URL = 'https://api.coincall.com';
/** How often the instrument list is reloaded (`INSTRUMENTS_REFRESH_MS`): new daily expiries appear at 08:00 UTC. */
export const DEFAULT_INSTRUMENTS_REFRESH_MS = 60_000;
/** Reloading more often than once a second would only load Coincall's REST API. */
export const MIN_INSTRUMENTS_REFRESH_MS = 1_000;
/** A day: a list older than that misses a daily expiry. */
export const MAX_INSTRUMENTS_REFRESH_MS = 86_400_000;

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly upstream: 'simulator' | 'coincall';
  readonly optionsWsUrl: string;
  readonly futuresWsUrl: string;
  /** Coincall's REST base for the instrument list; omitted means `DEFAULT_REST_URL` (the simulator serves its own). */
  readonly restUrl?: string;
  /** Instrument list refresh period in ms; omitted means `DEFAULT_INSTRUMENTS_REFRESH_MS`. */
  readonly instrumentsRefreshMs?: number;
  /** The server's key: signs the shared public connections (required for `coincall`). */
  readonly apiKey: string | undefined;
  readonly apiSecret: string | undefined;
  readonly logLevel: LogLevel;
  /** How `main.ts` writes log lines; omitted means `json`. */
  readonly logFormat?: LogFormat;
  /** CORS_ORIGINS; omitted means `*`. */
  readonly corsOrigins?: CorsOrigins;
  /** METRICS: serve `/metrics` and count for it (default true). */
  readonly metrics?: boolean;
  /** The server's guards (see `lib/limits.ts`); omitted means every default. */
  readonly limits?: GatewayLimits;
  /** TRUST_PROXY: proxies (IP addresses or CIDR blocks) whose `X-Forwarded-For` is believed; omitted or empty means none. */
  readonly trustProxy?: readonly string[];
  /** GATEWAY_AUTH and the other access settings (`auth/access-config.ts`); omitted means open, as before. */
  readonly access?: AccessConfig;
  /** CLUSTER_*: this gateway is one replica of a cluster on NATS JetStream; omitted means a single gateway. */
  readonly cluster?: ClusterConfig;
}

/**
 * Every variable the gateway reads (the contract's, third milestone included);
 * a test holds this list to the names `config.ts` and `lib/limits.ts` read.
 */
export const KNOWN_ENV_NAMES: readonly string[] = [
  ...['PORT', 'HOST', 'UPSTREAM', 'LOG_LEVEL', 'LOG_FORMAT', 'METRICS', 'TRUST_PROXY', 'CORS_ORIGINS', 'INSTRUMENTS_REFRESH_MS'],
  ...['COINCALL_API_KEY', 'COINCALL_API_SECRET', 'COINCALL_OPTIONS_WS_URL', 'COINCALL_FUTURES_WS_URL', 'COINCALL_REST_URL'],
  ...['CLUSTER_NATS_URL', 'CLUSTER_NAME', 'CLUSTER_NODE_ID', 'CLUSTER_LEASE_TTL_MS', 'CLUSTER_EVENT_PUBLISHERS'],
  ...['GATEWAY_AUTH', 'GATEWAY_KEYS_FILE', 'JWT_PUBLIC_KEY_FILE', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'TRUSTED_DOCUMENTS_FILE'],
  ...['GRAPHIQL', 'INTROSPECTION'],
  ...LIMIT_NAMES.map((name) => LIMIT_SETTINGS[name].env),
];
/** Prefixes only the gateway's own variables use: a variable with one that is not known is a misspelt setting. */
export const ENV_PREFIXES: readonly string[] = [
  'COINCALL_',
  'UPSTREAM_',
  'MAX_',
  'GATEWAY_',
  'CLUSTER_',
  'RESUME_',
  'JWT_',
  'TRUSTED_',
  'INSTRUMENTS_',
  'QUERY_SNAPSHOT_',
  'SLOW_SUBSCRIBER_',
  'WS_',
];

/** `warnings`: set variables that look like settings but are none (misspelt ones), each naming the closest known name. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Which URLs a setting takes: its schemes, and how a message names them. */
interface UrlKind {
  readonly schemes: readonly string[];
  readonly name: string;
}

/** A URL setting whose scheme must be one of its kind's; the fallback when unset. */
function urlSetting(env: Env, name: string, fallback: string, kind: UrlKind, problems: string[]): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    const url = new URL(raw);
    if (!kind.schemes.some((scheme) => url.protocol === `${scheme}:`)) throw new Error('protocol');
  } catch {
    problems.push(`${name} must be ${kind.name} URL, got "${raw}".`);
  }
  return raw;
}

const WS_SCHEMES: UrlKind = { schemes: ['ws', 'wss'], name: 'a ws:// or wss://' };
const HTTP_SCHEMES: UrlKind = { schemes: ['http', 'https'], name: 'an http:// or https://' };

/** TRUST_PROXY: a comma-separated list of IP addresses and CIDR blocks; empty means no proxy is trusted. */
function trustProxy(env: Env, problems: string[]): string[] {
  const entries = (env['TRUST_PROXY'] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const problem = cidrProblem(entry);
    if (problem !== undefined) problems.push(`TRUST_PROXY must list IP addresses or CIDR blocks (e.g. 10.0.0.0/8,127.0.0.1): ${problem}.`);
  }
  return entries;
}

/** Parses CORS_ORIGINS: `*`, or a comma list of origins (`https://app.example.com`). */
export function parseCorsOrigins(raw: string | undefined, problems: string[]): CorsOrigins {
  const text = (raw ?? '').trim();
  if (text === '' || text === '*') return '*';
  const origins: string[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    let origin: string | undefined;
    try {
      const url = new URL(part);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === part.replace(/\/$/, '')) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined)
      problems.push(`CORS_ORIGINS must be "*" or a comma list of origins like https://app.example.com, got "${part}".`);
    else origins.push(origin);
  }
  return origins;
}

/** `pid`: this program's id (from main.ts), for the default CLUSTER_NODE_ID. */
export function readConfig(env: Env, pid?: number): ConfigResult {
  const problems: string[] = [];
  const apiKey = env['COINCALL_API_KEY'] || undefined;
  const apiSecret = env['COINCALL_API_SECRET'] || undefined;
  if ((apiKey === undefined) !== (apiSecret === undefined)) problems.push('COINCALL_API_KEY and COINCALL_API_SECRET must be set together.');

  const upstreamRaw = env['UPSTREAM'] || (apiKey !== undefined ? 'coincall' : 'simulator');
  let upstream: Config['upstream'] = 'simulator';
  if (upstreamRaw === 'simulator' || upstreamRaw === 'coincall') upstream = upstreamRaw;
  else problems.push(`UPSTREAM must be "simulator" or "coincall", got "${upstreamRaw}".`);
  if (upstream === 'coincall' && (apiKey === undefined || apiSecret === undefined))
    problems.push(
      'UPSTREAM=coincall needs COINCALL_API_KEY and COINCALL_API_SECRET: Coincall signs every connection, public data included.',
    );

  const logLevelRaw = env['LOG_LEVEL'] || 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw) ? (logLevelRaw as LogLevel) : 'info';
  if (logLevel !== logLevelRaw) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelRaw}".`);

  const logFormatRaw = env['LOG_FORMAT'] || 'json';
  const logFormat = (LOG_FORMATS as readonly string[]).includes(logFormatRaw) ? (logFormatRaw as LogFormat) : 'json';
  if (logFormat !== logFormatRaw) problems.push(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got "${logFormatRaw}".`);

  const metricsRaw = env['METRICS'] || 'on';
  if (metricsRaw !== 'on' && metricsRaw !== 'off') problems.push(`METRICS must be "on" or "off", got "${metricsRaw}".`);

  const limits = limitsFrom((setting) => readInteger(env, setting.env, setting.fallback, setting.min, setting.max, problems));
  const cluster = readClusterConfig(env, problems, limits, pid);
  const config: Config = {
    port: readInteger(env, 'PORT', DEFAULT_PORT, 0, MAX_PORT, problems),
    host: readHost(env, 'HOST', DEFAULT_HOST, problems),
    upstream,
    optionsWsUrl: urlSetting(env, 'COINCALL_OPTIONS_WS_URL', DEFAULT_OPTIONS_WS_URL, WS_SCHEMES, problems),
    futuresWsUrl: urlSetting(env, 'COINCALL_FUTURES_WS_URL', DEFAULT_FUTURES_WS_URL, WS_SCHEMES, problems),
    restUrl: urlSetting(env, 'COINCALL_REST_URL', DEFAULT_REST_URL, HTTP_SCHEMES, problems),
    instrumentsRefreshMs: readInteger(
      env,
      'INSTRUMENTS_REFRESH_MS',
      DEFAULT_INSTRUMENTS_REFRESH_MS,
      MIN_INSTRUMENTS_REFRESH_MS,
      MAX_INSTRUMENTS_REFRESH_MS,
      problems,
    ),
    apiKey,
    apiSecret,
    logLevel,
    logFormat,
    trustProxy: trustProxy(env, problems),
    corsOrigins: parseCorsOrigins(env['CORS_ORIGINS'], problems),
    metrics: metricsRaw !== 'off',
    access: readAccessConfig(env, problems),
    limits,
    ...(cluster === undefined ? {} : { cluster }),
  };
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config, warnings: envLookalikes(env, { known: KNOWN_ENV_NAMES, prefixes: ENV_PREFIXES }) };
}
