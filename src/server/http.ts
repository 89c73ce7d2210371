/**
 * The HTTP server: graphql-yoga on `/graphql` (queries, SSE subscriptions,
 * GraphiQL), graphql-ws (`graphql-transport-ws`) on the same port and path,
 * wired through yoga's envelop so that every plugin applies to both
 * transports, plus `/health` and `/ready`. One of the three places that
 * construct sockets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../graphql/builder.ts';
import type { Logger } from '../lib/logger.ts';
import { credentialFromConnectionParams, credentialFromHeaders, type CredentialResult } from './context.ts';
import type { ExampleOperation } from './graphiql.ts';
import { validationRules } from './validation.ts';

export const GRAPHQL_PATH = '/graphql';
/** Keep-alive ping period of graphql-ws sockets. */
export const WS_KEEPALIVE_MS = 12_000;
/** Close code for shutdown ("going away"). */
export const CLOSE_GOING_AWAY = 1001;

type BaseContext = Omit<GatewayContext, 'credential' | 'credentialProblem'>;

export interface GatewayServerOptions {
  readonly schema: GraphQLSchema;
  readonly context: BaseContext;
  readonly logger: Logger;
  readonly operations: readonly ExampleOperation[];
  /** Whether the upstream is connected (for `/ready`). */
  readonly ready: () => boolean;
}

export interface GatewayServer {
  readonly httpServer: Server;
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, closes graphql-ws sockets with 1001 and every HTTP connection. */
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

/** Tags argument-value validation errors with BAD_USER_INPUT on both transports. */
const useTaggedValidation: Plugin = {
  onValidate({ setValidationFn }) {
    setValidationFn((schema, document) => validate(schema, document, validationRules));
  },
};

export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const { logger } = options;
  const [first] = options.operations;
  const yoga: YogaServerInstance<ServerContext, GatewayContext> = createYoga<ServerContext, GatewayContext>({
    schema: options.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    logging: yogaLogger(logger),
    plugins: [useTaggedValidation],
    graphiql: {
      title: 'Coincall GraphQL gateway',
      subscriptionsProtocol: 'SSE',
      ...(first === undefined ? {} : { defaultQuery: first.query }),
      defaultTabs: options.operations.map((op) => ({ query: op.query })),
    },
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
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/ready') {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'upstream not connected' }));
      return;
    }
    void yoga.requestListener(req, res);
  });

  const wsServer = new WebSocketServer({ noServer: true });
  httpServer.on('upgrade', (req: IncomingMessage, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });

  useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const enveloped = yoga.getEnveloped({ connectionParams: ctx.connectionParams ?? {}, request: toRequest(ctx.extra.request) });
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } as Enveloped,
        };
        return args;
      },
    },
    wsServer,
    WS_KEEPALIVE_MS,
  );

  return {
    httpServer,
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
      for (const client of wsServer.clients) client.close(CLOSE_GOING_AWAY, 'server shutting down');
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
    },
  };
}

interface Enveloped {
  readonly execute: (args: ExecutionArgs) => OperationResult;
  readonly subscribe: (args: ExecutionArgs) => OperationResult;
}

/** A Fetch `Request` view of the upgrade request (headers only), for plugins that read it. */
function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { headers });
}
