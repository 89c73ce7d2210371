/**
 * The HTTP server: graphql-yoga on `/graphql` (queries, SSE subscriptions,
 * GraphiQL), graphql-ws (`graphql-transport-ws`) on the same port and path,
 * wired through yoga's envelop so that every plugin applies to both
 * transports, plus `/health` and `/ready`. The guards (query limits,
 * connection and subscription caps, size caps; `guards.ts`) are applied here,
 * and graphql-ws runs through the thin adapter in `ws-adapter.ts`. One of the
 * three places that construct sockets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { handleProtocols, type Context, type OperationResult, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../graphql/builder.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from '../lib/limits.ts';
import type { Logger } from '../lib/logger.ts';
import { credentialFromConnectionParams, credentialFromHeaders, type CredentialResult } from './context.ts';
import { graphiqlOptions, type GraphiQLSetup } from './graphiql.ts';
import {
  bodyTooLarge,
  bodyTooLargeMessage,
  CLOSE_TRY_AGAIN_LATER,
  createConnectionGate,
  refuseRequest,
  refuseUpgrade,
  TOO_MANY_CONNECTIONS,
  tooManySubscriptions,
  useQueryLimits,
  mayStream,
} from './guards.ts';
import { serveGraphqlWs, type UpgradeRequest, type WsExtra } from './ws-adapter.ts';
import { createFanout, rootFieldOf, type Fanout, type FanoutRun, type Member } from './fanout.ts';
import type { Delivery } from '../channels/channel.ts';
import { CHANNELS, type ChannelId } from '../channels/registry.ts';
import { credentialId } from '../coincall/signing.ts';
import { createBoundedCache } from '../lib/bounded-cache.ts';
import { tryCanonicalKey } from '../lib/canonical.ts';

export const GRAPHQL_PATH = '/graphql';
/** Keep-alive ping period of graphql-ws sockets. */
export const WS_KEEPALIVE_MS = 12_000;
/** At shutdown, how long ended subscriptions may take to send their `complete`. */
export const SHUTDOWN_DRAIN_MS = 1_000;
/** A last pause for queued messages before the sockets close. */
export const SHUTDOWN_FLUSH_MS = 50;
/** Close code for shutdown ("going away"). */
export const CLOSE_GOING_AWAY = 1001;
/**
 * yoga's parse cache, bounded: real operations are short and few, while a
 * hostile client can send thousands of distinct documents near the token
 * limit, whose ASTs would otherwise stay cached (1,000 by default).
 */
export const DOCUMENT_CACHE = { maxEntries: 500, maxKeyLength: 4 * 1024 } as const;

type BaseContext = Omit<GatewayContext, 'credential' | 'credentialProblem'>;

export interface GatewayServerOptions {
  readonly schema: GraphQLSchema;
  readonly context: BaseContext;
  readonly logger: Logger;
  /** GraphiQL's tabs, their variables and (on the simulator only) demo headers. */
  readonly graphiql: GraphiQLSetup;
  /** Whether the upstream is connected (for `/ready`). */
  readonly ready: () => boolean;
  /** Guard limits (`lib/limits.ts`); default: every default. */
  readonly limits?: GatewayLimits;
  /**
   * Execute identical graphql-ws subscriptions once and write the serialized
   * `next` to every subscriber (default). `false` runs each one through
   * graphql-ws's standard path (used to prove both are byte-identical).
   */
  readonly sharedSubscriptions?: boolean;
  /** More yoga/envelop plugins, after the gateway's own. */
  readonly plugins?: readonly Plugin[];
}

export interface GatewayServer {
  readonly httpServer: Server;
  listen(port: number, host: string): Promise<number>;
  /** The shared subscription path and its counters. */
  readonly fanout: Fanout;
  /** Stops accepting, lets ended subscriptions send `complete`, closes graphql-ws sockets with 1001 and every HTTP connection. */
  close(): Promise<void>;
}

interface ServerContext {
  readonly connectionParams?: unknown;
}

function yogaLogger(logger: Logger) {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    logger[level]({ detail: rest.length > 0 ? rest.map(String) : undefined }, String(first));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const { logger } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const connections = createConnectionGate(limits.maxConnections);
  const fanout = createFanout();
  const yoga: YogaServerInstance<ServerContext, GatewayContext> = createYoga<ServerContext, GatewayContext>({
    schema: options.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // Parsed documents are cached by their text: only short ones, and not too many (see DOCUMENT_CACHE).
    // Validation results are not cached: a failed one keeps its errors' stack frames, and with them
    // the whole validation state, alive; validating a short document again costs little.
    parserAndValidationCache: { documentCache: createBoundedCache(DOCUMENT_CACHE), errorCache: createBoundedCache(DOCUMENT_CACHE), validationCache: false },
    // Bodies without a Content-Length (chunked) are capped while they stream.
    maxRequestBodySize: limits.httpMaxBodyBytes,
    logging: yogaLogger(logger),
    // Query limits and BAD_USER_INPUT tagging, on every transport (graphql-ws goes through getEnveloped too).
    plugins: [useQueryLimits(limits), ...(options.plugins ?? [])],
    // Computed per page load, so the example expiry never goes stale; assets from npm, not a CDN.
    graphiql: () => graphiqlOptions(options.graphiql),
    // GraphiQL's scripts and styles inlined from the npm package: no CDN, works offline.
    renderGraphiQL,
    context: ({ request, connectionParams }): GatewayContext => {
      const found: CredentialResult =
        connectionParams !== undefined ? credentialFromConnectionParams(connectionParams) : credentialFromHeaders(request.headers);
      return { ...options.context, credential: found.credential, credentialProblem: found.problem };
    },
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (error instanceof GraphQLError && (original === undefined || original === null || original instanceof GraphQLError)) return error;
        logger.error({ err: original instanceof Error ? { message: original.message, stack: original.stack } : String(original) }, 'unexpected error');
        return new GraphQLError(message, {
          ...(error instanceof GraphQLError ? { nodes: error.nodes ?? null, path: error.path ?? null } : {}),
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
  });

  const httpServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      res.writeHead(302, { location: GRAPHQL_PATH }).end();
      return;
    }
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/ready') {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'upstream not connected' }));
      return;
    }
    if (bodyTooLarge(req, limits.httpMaxBodyBytes)) return refuseRequest(res, 413, bodyTooLargeMessage(limits.httpMaxBodyBytes));
    if (mayStream(req)) {
      if (!connections.hasRoom()) return refuseRequest(res, 503, TOO_MANY_CONNECTIONS);
      res.once('close', connections.hold());
    }
    void yoga.requestListener(req, res);
  });

  const wsServer = new WebSocketServer({ noServer: true, maxPayload: limits.wsMaxMessageBytes, handleProtocols: (protocols) => handleProtocols(protocols) });
  httpServer.on('upgrade', (req: IncomingMessage, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (!connections.hasRoom()) return refuseUpgrade(socket, 503, TOO_MANY_CONNECTIONS);
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      // `on`, not `once`: a socket closes once, and `once` costs a wrapper per socket.
      ws.on('close', connections.hold());
      // Concurrent handshakes can all pass the check above; the ones beyond the cap leave at once.
      if (connections.overCap()) return ws.close(CLOSE_TRY_AGAIN_LATER, TOO_MANY_CONNECTIONS);
      wsServer.emit('connection', ws, req);
    });
  });

  /** The standard path of a graphql-ws subscription: parse, validate and build the context through envelop. */
  const prepare = async (ctx: WsContext, payload: SubscribePayload, key: string | undefined, member: Member): Promise<readonly GraphQLError[] | ExecutionArgs> => {
    const enveloped = yoga.getEnveloped({ connectionParams: ctx.connectionParams ?? {}, request: toRequest(ctx.extra.request) });
    let document;
    try {
      document = enveloped.parse(payload.query);
    } catch (error) {
      return [withoutHttpExtension(error instanceof GraphQLError ? error : new GraphQLError(String(error)))];
    }
    const errors = enveloped.validate(enveloped.schema, document);
    if (errors.length > 0) return errors.map(withoutHttpExtension);
    const args: ExecutionArgs = {
      schema: enveloped.schema,
      document,
      operationName: payload.operationName ?? null,
      variableValues: payload.variables ?? null,
      contextValue: await enveloped.contextFactory(),
      rootValue: undefined,
    };
    const field = rootFieldOf(args);
    const channel = field !== undefined && Object.hasOwn(CHANNELS, field) ? CHANNELS[field as ChannelId] : undefined;
    const root: Enveloped = {
      execute: enveloped.execute,
      subscribe: enveloped.subscribe,
      ...(key === undefined || channel === undefined ? {} : { share: { key, delivery: channel.delivery, member } }),
    };
    return { ...args, rootValue: root };
  };

  /**
   * The rootValue of a subscription that joins a running group. Should the
   * group end before the member is attached, it takes the standard path after
   * all. A class, so an idle member holds fields, not closures.
   */
  class JoinedRoot implements Enveloped {
    readonly share: Share;
    private readonly ctx: WsContext;
    private readonly payload: SubscribePayload;

    constructor(share: Share, ctx: WsContext, payload: SubscribePayload) {
      this.share = share;
      this.ctx = ctx;
      this.payload = payload;
    }

    execute(): Promise<Awaited<OperationResult>> {
      return this.late();
    }

    subscribe(): Promise<Awaited<OperationResult>> {
      return this.late();
    }

    private async late(): Promise<Awaited<OperationResult>> {
      const prepared = await prepare(this.ctx, this.payload, this.share.key, this.share.member);
      return isErrors(prepared) ? { errors: prepared } : await (prepared.rootValue as Enveloped).subscribe(prepared);
    }
  }

  serveGraphqlWs(
    wsServer,
    {
      connectionInitWaitTimeout: limits.wsConnectionInitTimeoutMs,
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => {
        const root = args.rootValue as Enveloped;
        if (root.share === undefined) return root.subscribe(args);
        return fanout.subscribe(args, root.share.key, root.share.delivery, root.share.member, (a) => root.subscribe(a) as ReturnType<FanoutRun>) as OperationResult;
      },
      // Errors yoga tagged with an HTTP status (variables, parsing) keep no `extensions.http` on a WebSocket.
      onNext: (_ctx, _id, _payload, _args, result) => {
        const { errors, data, extensions } = result;
        if (errors === undefined || !errors.some((e) => e.extensions['http'] !== undefined)) return undefined;
        return {
          ...(data === undefined ? {} : { data }),
          ...(extensions === undefined ? {} : { extensions }),
          errors: errors.map((e) => withoutHttpExtension(e).toJSON()),
        };
      },
      onSubscribe: async (ctx, id, payload) => {
        // `ctx.subscriptions` already holds this one.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) return [tooManySubscriptions(limits.maxSubscriptionsPerConnection)];
        const member: Member = { id, socket: ctx.extra.socket };
        const built = options.sharedSubscriptions === false ? undefined : shareKey(payload, credentialFromConnectionParams(ctx.connectionParams));
        // Every subscriber goes through envelop (parse, validate, context), so every plugin's
        // request hooks see it on graphql-ws as on SSE.
        const prepared = await prepare(ctx, payload, built, member);
        const live = built === undefined || isErrors(prepared) ? undefined : fanout.live(built);
        if (live === undefined) return prepared;
        // Joining a running group: it already executes this exact operation for this credential.
        // The member needs only the group's document; its own context is not kept.
        const root = new JoinedRoot({ key: live.key, delivery: live.delivery, member }, ctx, payload);
        return { schema: options.schema, document: live.document, operationName: live.operationName, variableValues: payload.variables ?? null, contextValue: null, rootValue: root };
      },
    },
    { keepAliveMs: WS_KEEPALIVE_MS, logger },
  );

  return {
    httpServer,
    fanout,
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
      const deadline = Date.now() + SHUTDOWN_DRAIN_MS;
      while (fanout.stats().members > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, SHUTDOWN_FLUSH_MS));
      for (const client of wsServer.clients) client.close(CLOSE_GOING_AWAY, 'server shutting down');
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
    },
  };
}

/** yoga tags request errors with an HTTP status (`extensions.http`); meaningless on a WebSocket. */
function withoutHttpExtension(error: GraphQLError): GraphQLError {
  if (error.extensions['http'] === undefined) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes ?? null, source: error.source ?? null, positions: error.positions ?? null, path: error.path ?? null, originalError: error.originalError ?? null, extensions });
}

interface Enveloped {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
  /** Set when the subscription may share one execution with identical ones. */
  readonly share?: Share;
}

/** How a subscription shares one execution: its group key, delivery policy and where its messages go. */
interface Share {
  readonly key: string;
  readonly delivery: Delivery;
  readonly member: Member;
}

/** graphql-ws's per-socket context, as the gateway's server options type it. */
type WsContext = Context<Record<string, unknown> | undefined, WsExtra>;

/**
 * The sharing identity of a subscription: the same document text, operation,
 * variables and credential execute once. `undefined` for an unusable credential.
 */
function shareKey(payload: SubscribePayload, credential: CredentialResult): string | undefined {
  if (credential.problem !== undefined) return undefined;
  const variables = tryCanonicalKey(payload.variables ?? {});
  if (variables === undefined) return undefined;
  const who = credential.credential === undefined ? 'anonymous' : credentialId(credential.credential);
  return [who, payload.operationName ?? '', payload.query, variables].join('\u0000');
}

const isErrors = (value: readonly GraphQLError[] | ExecutionArgs): value is readonly GraphQLError[] => Array.isArray(value);

/** A Fetch `Request` view of the upgrade request (headers only), for plugins that read it. */
function toRequest(req: UpgradeRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { headers });
}
