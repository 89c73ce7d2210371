/**
 * graphql-yoga, set up once for every transport: `/graphql` (queries, SSE
 * subscriptions, GraphiQL) over HTTP, and the envelop pipeline that graphql-ws
 * subscribers go through as well (`ws-options.ts`). Plugins by pipeline stage:
 * request (the plain routes `/health`, `/ready`, `/`: `routes.ts`), parse and
 * validate (query limits and BAD_USER_INPUT tagging: `guards.ts`), context
 * (the client's credential: `context.ts`), errors (masked unless expected).
 */
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayContext } from '../graphql/builder.ts';
import { createBoundedCache } from '../lib/bounded-cache.ts';
import type { GatewayLimits } from '../lib/limits.ts';
import type { Logger } from '../lib/logger.ts';
import { credentialFromConnectionParams, credentialFromHeaders, type CredentialResult } from './context.ts';
import { graphiqlOptions, type GraphiQLSetup } from './graphiql.ts';
import { useGraphiQLAssets } from './graphiql-assets.ts';
import { renderGraphiQLPage } from './graphiql-page.ts';
import { useQueryLimits } from './guards.ts';
import { GRAPHQL_PATH, HEALTH_PATH, useHealth, useReadiness, useRootRedirect } from './routes.ts';

/**
 * yoga's parse cache, bounded: real operations are short and few, while a
 * hostile client can send thousands of distinct documents near the token
 * limit, whose ASTs would otherwise stay cached (1,000 by default).
 */
export const DOCUMENT_CACHE = { maxEntries: 500, maxKeyLength: 4 * 1024 } as const;

/** The request context every resolver sees, less the credential (read per request or per socket). */
export type BaseContext = Omit<GatewayContext, 'credential' | 'credentialProblem'>;

/** What yoga's context factory receives besides the request: graphql-ws passes its `connectionParams`. */
export interface ServerContext {
  readonly connectionParams?: unknown;
}

export type GatewayYoga = YogaServerInstance<ServerContext, GatewayContext>;

export interface YogaSetup {
  readonly schema: GraphQLSchema;
  readonly context: BaseContext;
  readonly logger: Logger;
  /** GraphiQL's tabs, their variables and (on the simulator only) demo headers. */
  readonly graphiql: GraphiQLSetup;
  /** Whether the upstream is connected (for `/ready`). */
  readonly ready: () => boolean;
  readonly limits: GatewayLimits;
  /** More yoga/envelop plugins, after the gateway's own. */
  readonly plugins?: readonly Plugin[];
}

function yogaLogger(logger: Logger) {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    logger[level]({ detail: rest.length > 0 ? rest.map(String) : undefined }, String(first));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function createGatewayYoga(setup: YogaSetup): GatewayYoga {
  const { logger, limits } = setup;
  return createYoga<ServerContext, GatewayContext>({
    schema: setup.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: HEALTH_PATH,
    landingPage: false,
    // Parsed documents are cached by their text: only short ones, and not too many (see DOCUMENT_CACHE).
    // Validation results are not cached: a failed one keeps its errors' stack frames, and with them
    // the whole validation state, alive; validating a short document again costs little.
    parserAndValidationCache: { documentCache: createBoundedCache(DOCUMENT_CACHE), errorCache: createBoundedCache(DOCUMENT_CACHE), validationCache: false },
    // Bodies without a Content-Length (chunked) are capped while they stream.
    maxRequestBodySize: limits.httpMaxBodyBytes,
    logging: yogaLogger(logger),
    plugins: [
      // Request stage: the plain routes answer before any GraphQL work.
      useHealth(),
      useReadiness(setup.ready),
      useRootRedirect(),
      // GraphiQL's hashed, compressed, long-cached files (`/graphiql/…`).
      useGraphiQLAssets(GRAPHQL_PATH),
      // Parse and validate: query limits and BAD_USER_INPUT tagging, on every transport.
      useQueryLimits(limits),
      ...(setup.plugins ?? []),
    ],
    // Computed per page load, so the example expiry never goes stale; assets from npm, not a CDN.
    graphiql: () => graphiqlOptions(setup.graphiql, setup.schema),
    // A small page naming GraphiQL's files from the npm package (no CDN, works offline), served apart.
    renderGraphiQL: renderGraphiQLPage,
    context: ({ request, connectionParams }): GatewayContext => {
      const found: CredentialResult =
        connectionParams !== undefined ? credentialFromConnectionParams(connectionParams) : credentialFromHeaders(request.headers);
      return { ...setup.context, credential: found.credential, credentialProblem: found.problem };
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
}
