/**
 * The server, composed: one HTTP server on one port with yoga (`yoga.ts`)
 * behind the request gate (`request-gate.ts`), and graphql-ws
 * (`graphql-transport-ws`) on `/graphql` behind the upgrade gate
 * (`upgrade-gate.ts`), served by the thin adapter (`ws-adapter.ts`) with the
 * gateway's options (`ws-options.ts`) and the shared subscription path
 * (`fanout.ts`), which SSE and multipart subscriptions join as well
 * (`shared-http.ts`). In front of all, the per-address gate at the TCP
 * `connection` event (`socket-gate.ts`) and deliberate HTTP timeouts
 * (`http-timeouts.ts`). Listening and an orderly shutdown. One of the three places
 * that construct sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES } from '../lib/errors.ts';
import { DEFAULT_LIMITS } from '../lib/limits.ts';
import { AccessControl, type AccessSetup } from './access/access-control.ts';
import { useFieldScopes } from './access/field-scopes.ts';
import { useHttpAccess } from './access/http-access.ts';
import { withWsAccess } from './access/ws-access.ts';
import { createClientLog, useClientLog } from './client-log.ts';
import { createAddressGate } from './gates/address-gate.ts';
import { NO_TRUSTED_PROXIES, trustedProxies } from './gates/client-address.ts';
import { createConnectionGate } from './gates/connection-gate.ts';
import { createFanout } from './fanout/fanout.ts';
import type { Fanout } from './fanout/fanout-types.ts';
import { DEFAULT_HTTP_TIMEOUTS, httpServerOptions, type HttpTimeouts } from './gates/http-timeouts.ts';
import { registerAccessMetrics } from './metrics/access-metrics.ts';
import { registerLagMetrics } from './metrics/lag-metrics.ts';
import { createMetrics, type GatewayMetrics } from './metrics/metrics.ts';
import { gateRequests } from './gates/request-gate.ts';
import { gateSockets } from './gates/socket-gate.ts';
import { useStreamAdmission } from './gates/stream-admission.ts';
import { gateUpgrades } from './gates/upgrade-gate.ts';
import { serveGraphqlWs } from './graphql-ws/ws-adapter.ts';
import { createWsOptions } from './graphql-ws/ws-options.ts';
import { wsSinkOf } from './graphql-ws/ws-sink.ts';
import { trackUnsharedOperations } from './graphql-ws/ws-unshared.ts';
import { createFastSubscribe, type FastSubscribeStats } from './http-streaming/fast-subscribe.ts';
import { MULTIPART_HEARTBEAT_MS } from './http-streaming/multipart.ts';
import { createGatewayYoga, type YogaSetup } from './yoga.ts';
import { useChunkedBodyLimit } from './gates/chunked-body-limit.ts';

export { GRAPHQL_PATH } from './routes.ts';
/** Keep-alive ping period of graphql-ws sockets. */
export const WS_KEEPALIVE_MS = 12_000;
/** At shutdown, how long ended subscriptions may take to send their `complete`. */
export const SHUTDOWN_DRAIN_MS = 1_000;
/** A last pause for queued messages before the sockets close. */
export const SHUTDOWN_FLUSH_MS = 50;
/**
 * How long graphql-ws sockets get to finish the closing handshake before they
 * are terminated: a client that stopped reading never answers (ws would wait
 * 30 s), and shutdown must end well within a container's 10 s stop window.
 */
export const SHUTDOWN_CLOSE_MS = 2_000;

export interface GatewayServerOptions extends Omit<YogaSetup, 'limits' | 'metrics'> {
  /** What `/metrics` serves (default: a registry of its own); `false`: no metrics, no counting for them. */
  readonly metrics?: GatewayMetrics | false;
  /** Guard limits (`lib/limits.ts`); default: every default. */
  readonly limits?: YogaSetup['limits'];
  /**
   * Execute identical subscriptions once, whatever their transport
   * (graphql-ws, SSE, multipart), and write the serialized result to every
   * subscriber (default). `false` runs each one through its transport's
   * standard path (used to prove both are byte-identical).
   */
  readonly sharedSubscriptions?: boolean;
  /**
   * SSE and multipart subscriptions identical to a running one join it
   * without yoga's pipeline (`fast-subscribe.ts`; default). `false` sends
   * them through yoga (used to compare the two).
   */
  readonly httpFastPath?: boolean;
  /** TRUST_PROXY: proxies (CIDR list, validated by `config.ts`) whose `X-Forwarded-For` is believed; default none. */
  readonly trustProxy?: readonly string[];
  /** The HTTP server's timeouts; default `DEFAULT_HTTP_TIMEOUTS` (shorter ones in tests). */
  readonly httpTimeouts?: HttpTimeouts;
  /** graphql-ws keepalive period; default WS_KEEPALIVE_MS (shorter in tests). */
  readonly wsKeepAliveMs?: number;
  /** GATEWAY_AUTH's authenticator, trusted documents, GRAPHIQL and INTROSPECTION (`access/`); default: open, as before. */
  readonly access?: AccessSetup;
}

export interface GatewayServer {
  readonly httpServer: Server;
  listen(port: number, host: string): Promise<number>;
  /** The shared subscription path and its counters. */
  readonly fanout: Fanout;
  /** HTTP subscriptions that joined a running group on the fast path (undefined: the fast path is off). */
  readonly fastPath: FastSubscribeStats | undefined;
  /**
   * Stops accepting, lets ended subscriptions send `complete`, closes graphql-ws
   * sockets with 1001 (terminating those that do not answer within
   * SHUTDOWN_CLOSE_MS) and destroys every HTTP connection, SSE streams included.
   */
  close(): Promise<void>;
}

/** Resolves when `promise` does or after `ms`, whichever comes first; leaves no timer behind. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const limits = options.limits ?? DEFAULT_LIMITS;
  // graphql-ws sockets count as the WebSocketServer's clients; SSE streams hold the gate.
  const clientLog = createClientLog(options.logger);
  const connections = createConnectionGate(limits.maxConnections, () => wsServer.clients.size, clientLog);
  const metrics = options.metrics === false ? undefined : (options.metrics ?? createMetrics());
  const fanout = createFanout({
    maxBehindMs: limits.slowSubscriberMaxBehindMs,
    ...(metrics === undefined ? {} : { latencyFor: (field: string) => metrics.latencyOf(field) }),
  });
  const proxied = {
    addresses: createAddressGate(limits.maxConnectionsPerIp),
    trusted: options.trustProxy === undefined ? NO_TRUSTED_PROXIES : trustedProxies(options.trustProxy),
  };
  const access = new AccessControl(options.access ?? {}, options.schema, options.logger.child({ component: 'access' }), limits.maxTokens);
  const { metrics: _metrics, access: _access, httpFastPath: _fast, ...setup } = options;
  // Streams meet the connection caps once they are known to be subscriptions (a plain query never counts).
  const streams = useStreamAdmission({ gate: connections, proxied, maxTokens: limits.maxTokens });
  const shared = options.sharedSubscriptions !== false;
  const yoga = createGatewayYoga({
    ...setup,
    limits,
    plugins: [
      streams,
      useChunkedBodyLimit(connections, limits.httpMaxBodyBytes),
      useClientLog(clientLog),
      ...(access.active || !access.graphiql ? [useHttpAccess(access)] : []),
      ...(access.enabled ? [useFieldScopes()] : []),
      ...(setup.plugins ?? []),
    ],
    ...(metrics === undefined ? {} : { metrics }),
    ...(shared ? { sharing: fanout } : {}),
  });

  // HTTP subscriptions joining a running group skip yoga's pipeline (`fast-subscribe.ts`); access checks stay with yoga.
  const fast =
    shared && options.httpFastPath !== false && !access.active
      ? createFastSubscribe({
          schema: options.schema,
          fanout,
          gate: connections,
          proxied,
          multipartHeartbeatMs: options.multipartHeartbeatMs ?? MULTIPART_HEARTBEAT_MS,
          clientLog,
          corsOrigins: options.corsOrigins ?? '*',
          ...(metrics === undefined ? {} : { metrics }),
        })
      : undefined;
  const toYoga = (req: IncomingMessage, res: ServerResponse) => void yoga.requestListener(req, res);
  const httpServer = createServer(
    httpServerOptions(options.httpTimeouts ?? DEFAULT_HTTP_TIMEOUTS),
    gateRequests(
      connections,
      limits.httpMaxBodyBytes,
      fast === undefined ? toYoga : (req, res) => fast.handle(req, res, () => toYoga(req, res)),
      proxied,
    ),
  );
  gateSockets(httpServer, proxied.addresses, proxied.trusted, clientLog);
  const wsServer = new WebSocketServer({
    noServer: true,
    maxPayload: limits.wsMaxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  httpServer.on('upgrade', gateUpgrades(connections, wsServer, proxied));
  metrics?.bind({
    fanout: () => fanout.stats(),
    upstream: () => options.context.upstream.status(),
    wsConnections: () => wsServer.clients.size,
    gateRefusals: () => ({ ...connections.refusals, LIMIT_EXCEEDED: access.limitRefusals }),
    instruments: () => options.context.instruments?.status(),
  });
  if (metrics !== undefined)
    registerAccessMetrics(metrics.registry, {
      byClient: () => (access.enabled ? access.registry.connectionsByClient() : undefined),
      open: () => connections.open,
      refusals: () => access.refusals,
      keysFileValid: () => options.access?.authenticator?.fileValid,
    });
  // A stuck socket's subscriptions end in band on both paths: the shared fan-out's members, and graphql-ws's own.
  const unshared = trackUnsharedOperations();
  const keepAliveMs = options.wsKeepAliveMs ?? WS_KEEPALIVE_MS;
  const keepAlive = serveGraphqlWs(
    wsServer,
    withWsAccess(
      createWsOptions({
        yoga,
        fanout,
        limits,
        sharedSubscriptions: shared,
        clientLog,
        unshared,
        ...(metrics === undefined ? {} : { metrics }),
      }),
      access,
    ),
    {
      keepAliveMs,
      onStuck: (socket) => {
        const sink = wsSinkOf(socket);
        return (sink === undefined ? 0 : fanout.endStuck(sink)) + unshared.endStuck(socket, keepAliveMs);
      },
      logger: options.logger,
      maxMessageBytes: limits.wsMaxMessageBytes,
      idleTimeoutMs: limits.idleConnectionTimeoutMs,
      initTimeoutMs: limits.wsConnectionInitTimeoutMs,
    },
  );
  if (metrics !== undefined)
    registerLagMetrics(metrics.registry, {
      maxLagMs: () => fanout.maxLagMs(),
      stuckClosed: keepAlive.stuckClosed,
      stuckEnded: keepAlive.stuckEnded,
    });

  return {
    httpServer,
    fanout,
    fastPath: fast?.stats,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve((httpServer.address() as AddressInfo).port);
        });
      }),
    async close() {
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // The upstream has ended every stream: give their `complete` messages a moment to go out.
      await within(fanout.drained(), SHUTDOWN_DRAIN_MS);
      await pause(SHUTDOWN_FLUSH_MS);
      for (const client of wsServer.clients) client.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
      // Emitted once every client socket has closed; a client that stopped reading is terminated.
      const wsClosed = new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await within(wsClosed, SHUTDOWN_CLOSE_MS);
      for (const client of wsServer.clients) client.terminate();
      await wsClosed;
      httpServer.closeAllConnections();
      await closed;
      access.close();
    },
  };
}
