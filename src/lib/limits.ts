/**
 * The gateway's guard limits in one table: each limit's environment variable,
 * default, accepted range and meaning. `config.ts` reads the environment
 * through it, the server enforces the values, and the documentation table is
 * checked against it, so a limit is described in exactly one place. The
 * upstream rows live in `upstream-limits.ts`.
 */
import type { LimitSetting } from './limit-setting.ts';
import { UPSTREAM_LIMIT_SETTINGS, upstreamLimitsFrom, type UpstreamLimits } from './upstream-limits.ts';

export type { LimitSetting } from './limit-setting.ts';

export interface GatewayLimits extends UpstreamLimits {
  /** A graphql-ws socket that sends no `connection_init` within this time is closed (4408). */
  readonly wsConnectionInitTimeoutMs: number;
  /** A larger graphql-ws message closes that socket (1009). */
  readonly wsMaxMessageBytes: number;
  /** Active subscriptions one graphql-ws connection may hold; more get a LIMIT_EXCEEDED error. */
  readonly maxSubscriptionsPerConnection: number;
  /** graphql-ws sockets plus HTTP subscription streams (SSE, multipart) open at once in this process; more are refused with 503. */
  readonly maxConnections: number;
  /** Open TCP connections (WebSocket, SSE or multipart streams, sockets still in their HTTP handshake) per client address. */
  readonly maxConnectionsPerIp: number;
  /** A graphql-ws socket without a subscription for this long is closed. */
  readonly idleConnectionTimeoutMs: number;
  /** Largest HTTP request body (queries, SSE subscriptions); larger is refused with 413. */
  readonly httpMaxBodyBytes: number;
  /** Deepest selection nesting of an operation (introspection's `__schema` excluded). */
  readonly maxQueryDepth: number;
  /** Most aliases in one operation. */
  readonly maxAliases: number;
  /** Most lexical tokens in one document; parsing stops beyond it. */
  readonly maxTokens: number;
  /** Highest static cost of an operation (the gateway's cost model, `server/query-cost.ts`: lists weighed by their length). */
  readonly maxQueryCost: number;
  /** Most directives in one operation. */
  readonly maxDirectives: number;
  /** How far behind (ms since its oldest held message) a graphql-ws event subscriber may fall before it is ended with SUBSCRIBER_TOO_SLOW. */
  readonly slowSubscriberMaxBehindMs: number;
  /** New upstream topics (subscriptions no one else holds) one client may open per second. */
  readonly maxNewTopicsPerSecondPerClient: number;
  /** How long a Query twin waits for its topic's first value before UPSTREAM_TIMEOUT. */
  readonly querySnapshotTimeoutMs: number;
  /** How long trades stay retained for `after` (and a closed topic's trades after its last subscriber left). */
  readonly resumeWindowMs: number;
  /** Most trades retained per trades topic for `after`. */
  readonly resumeMaxEventsPerTopic: number;
}

const KIB = 1024;
const MIB = 1024 * KIB;

export const LIMIT_SETTINGS: { readonly [K in keyof GatewayLimits]: LimitSetting } = {
  wsConnectionInitTimeoutMs: {
    env: 'WS_CONNECTION_INIT_TIMEOUT_MS',
    fallback: 3_000,
    min: 100,
    max: 60_000,
    meaning: 'graphql-ws: a socket that sends no `connection_init` within this many ms is closed with 4408.',
  },
  wsMaxMessageBytes: {
    env: 'WS_MAX_MESSAGE_BYTES',
    fallback: 64 * KIB,
    min: 1 * KIB,
    max: 16 * MIB,
    meaning: 'graphql-ws: a larger message closes that socket with 1009 (message too big) and a reason naming this variable.',
  },
  maxSubscriptionsPerConnection: {
    env: 'MAX_SUBSCRIPTIONS_PER_CONNECTION',
    fallback: 100,
    min: 1,
    max: 10_000,
    meaning: 'graphql-ws: active subscriptions per socket; one more gets an `error` message with `extensions.code` `LIMIT_EXCEEDED`.',
  },
  maxConnections: {
    env: 'MAX_CONNECTIONS',
    fallback: 10_000,
    min: 1,
    max: 1_000_000,
    meaning:
      'graphql-ws sockets plus HTTP subscriptions streaming (SSE or multipart) open at once in this process; one more is refused with HTTP 503. Queries and mutations never count, whatever their `Accept`.',
  },
  maxConnectionsPerIp: {
    env: 'MAX_CONNECTIONS_PER_IP',
    // One address (an office behind NAT, a browser with many tabs) rarely needs more; far below
    // MAX_CONNECTIONS, so one address cannot take every slot from the others.
    fallback: 200,
    min: 1,
    max: 1_000_000,
    meaning:
      'Open connections per client address (after `TRUST_PROXY`): graphql-ws sockets, SSE and multipart streams, and sockets still sending their HTTP request; one more is refused with HTTP 503.',
  },
  idleConnectionTimeoutMs: {
    env: 'IDLE_CONNECTION_TIMEOUT_MS',
    fallback: 300_000,
    min: 1_000,
    max: 86_400_000,
    meaning:
      'graphql-ws: a socket with no active subscription (acknowledged or not) for this many ms is closed with 1000 and a reason naming this variable.',
  },
  httpMaxBodyBytes: {
    env: 'HTTP_MAX_BODY_BYTES',
    fallback: 64 * KIB,
    min: 1 * KIB,
    max: 16 * MIB,
    meaning: 'HTTP/SSE: a larger request body is refused with 413 (a declared `Content-Length` at once, a chunked body as it streams).',
  },
  maxQueryDepth: {
    env: 'MAX_QUERY_DEPTH',
    fallback: 10,
    min: 1,
    max: 100,
    meaning: 'Deepest field nesting of an operation (introspection `__schema` excluded); deeper is refused with `LIMIT_EXCEEDED`.',
  },
  maxAliases: {
    env: 'MAX_ALIASES',
    fallback: 15,
    min: 0,
    max: 1_000,
    meaning: 'Most aliases in one operation; more are refused with `LIMIT_EXCEEDED`.',
  },
  maxTokens: {
    env: 'MAX_TOKENS',
    fallback: 2_000,
    min: 100,
    max: 100_000,
    meaning:
      "Most lexical tokens in one document (GraphiQL's introspection query needs about 200); parsing stops beyond it with `LIMIT_EXCEEDED`.",
  },
  maxQueryCost: {
    env: 'MAX_QUERY_COST',
    // One full instrument list of a busy exchange (2,000 instruments, 11 each) is 22,000: two fit, fifteen do not.
    fallback: 50_000,
    min: 10,
    max: 10_000_000,
    meaning:
      'Highest static cost of an operation: each field (`__typename` and aliases included) 1, a list field its expected length × the cost of one element (the instrument list: its current length), introspection 1000; costlier is refused with `LIMIT_EXCEEDED` naming the cost.',
  },
  maxDirectives: {
    env: 'MAX_DIRECTIVES',
    fallback: 50,
    min: 0,
    max: 1_000,
    meaning: 'Most directives in one operation; more are refused with `LIMIT_EXCEEDED`.',
  },
  slowSubscriberMaxBehindMs: {
    env: 'SLOW_SUBSCRIBER_MAX_BEHIND_MS',
    fallback: 10_000,
    min: 1_000,
    max: 300_000,
    meaning:
      'graphql-ws: an event subscription (trades, fills, orders, positions) whose socket has held its oldest undelivered message this many ms is ended alone with an in-band `SUBSCRIBER_TOO_SLOW` error and `complete`; the socket and its other subscriptions stay. Its held trades merge into fewer, larger messages meanwhile.',
  },
  maxNewTopicsPerSecondPerClient: {
    env: 'MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT',
    fallback: 40,
    min: 1,
    max: 10_000,
    meaning:
      'New upstream topics (subscriptions or Query twins no other client holds yet) one graphql-ws connection, or one client address over HTTP, may open per second, five seconds of it back to back, so that no client fills the shared upstream queue; with GATEWAY_AUTH on, one gateway key over all its connections instead. Past it: `LIMIT_EXCEEDED` (naming the key id).',
  },
  querySnapshotTimeoutMs: {
    env: 'QUERY_SNAPSHOT_TIMEOUT_MS',
    fallback: 5_000,
    min: 100,
    max: 60_000,
    meaning:
      'A Query twin (e.g. `futuresOrderBook` as a query) with no live topic subscribes and waits this many ms at most for the first value, then fails with `UPSTREAM_TIMEOUT`. Positions wait for the complete set, 1.5 s after Coincall answered: keep it above that.',
  },
  resumeWindowMs: {
    env: 'RESUME_WINDOW_MS',
    fallback: 900_000,
    min: 1_000,
    max: 86_400_000,
    meaning:
      "How long trades stay retained for `after` and the trades queries, and how long a trades topic keeps them after its last subscriber left (single process; in a cluster, the stream's max age). An older cursor gets `STREAM_INTERRUPTED` with `reason: CURSOR_EXPIRED`.",
  },
  resumeMaxEventsPerTopic: {
    env: 'RESUME_MAX_EVENTS_PER_TOPIC',
    fallback: 20_000,
    min: 100,
    max: 1_000_000,
    meaning: 'Most trades retained per trades topic for `after` (the oldest go first); about 0.5 KB each (docs/memory.md).',
  },
  ...UPSTREAM_LIMIT_SETTINGS,
};

export const LIMIT_NAMES = Object.keys(LIMIT_SETTINGS) as Array<keyof GatewayLimits>;

/** Builds a full set of limits, one value per setting. */
export function limitsFrom(value: (setting: LimitSetting) => number): GatewayLimits {
  const v = (name: keyof GatewayLimits) => value(LIMIT_SETTINGS[name]);
  return {
    wsConnectionInitTimeoutMs: v('wsConnectionInitTimeoutMs'),
    wsMaxMessageBytes: v('wsMaxMessageBytes'),
    maxSubscriptionsPerConnection: v('maxSubscriptionsPerConnection'),
    maxConnections: v('maxConnections'),
    maxConnectionsPerIp: v('maxConnectionsPerIp'),
    idleConnectionTimeoutMs: v('idleConnectionTimeoutMs'),
    httpMaxBodyBytes: v('httpMaxBodyBytes'),
    maxQueryDepth: v('maxQueryDepth'),
    maxAliases: v('maxAliases'),
    maxTokens: v('maxTokens'),
    maxQueryCost: v('maxQueryCost'),
    maxDirectives: v('maxDirectives'),
    slowSubscriberMaxBehindMs: v('slowSubscriberMaxBehindMs'),
    maxNewTopicsPerSecondPerClient: v('maxNewTopicsPerSecondPerClient'),
    querySnapshotTimeoutMs: v('querySnapshotTimeoutMs'),
    resumeWindowMs: v('resumeWindowMs'),
    resumeMaxEventsPerTopic: v('resumeMaxEventsPerTopic'),
    ...upstreamLimitsFrom(value),
  };
}

export const DEFAULT_LIMITS: GatewayLimits = limitsFrom((setting) => setting.fallback);
