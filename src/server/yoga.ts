/**
 * graphql-yoga, set up once for every transport: `/graphql` (queries, SSE
 * subscriptions, GraphiQL) over HTTP, and the envelop pipeline that graphql-ws
 * subscribers go through as well (`ws-options.ts`). Plugins by pipeline stage:
 * request (the plain routes `/health`, `/ready`, `/`: `routes.ts`), parse and
 * validate (query limits and BAD_USER_INPUT tagging: `guards.ts`), context
 * (the client's credential: `context.ts`), errors (masked unless expected),
 * result processing (Apollo's multipart subscriptions: `multipart.ts`; SSE
 * and multipart subscriptions on the shared path: `shared-http.ts`).
 * CORS per CORS_ORIGINS (`cors.ts`); metrics (`/metrics`, `metrics.ts`): the
 * gateway's families, fed by `metrics-plugin.ts`, and graphql-yoga's request
 * metrics (its Prometheus plugin, on the same registry, bounded labels only).
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayContext } from '../graphql/builder.ts';
import { createBoundedCache } from '../lib/bounded-cache.ts';
import { INTERNAL_ERROR_CODE } from '../lib/errors.ts';
import type { GatewayLimits } from '../lib/limits.ts';
import type { Logger } from '../lib/logger.ts';
import { clientAddress } from './gates/client-address.ts';
import { clientOf } from './gates/client-identity.ts';
import { credentialFromConnectionParams, credentialFromHeaders, type CredentialResult } from './context.ts';
import { useEnumValueHints } from './enum-values.ts';
import { useRequestErrorCodes } from './request-errors.ts';
import { useFieldNotes } from './field-notes-plugin.ts';
import { graphiqlOptions, type GraphiQLSetup } from './graphiql/graphiql.ts';
import { corsOption, type CorsOrigins } from './cors.ts';
import { useGraphiQLAssets } from './graphiql/graphiql-assets.ts';
import { renderGraphiQLPage } from './graphiql/graphiql-page.ts';
import { useQueryLimits } from './guards.ts';
import type { Fanout } from './fanout/fanout-types.ts';
import { MULTIPART_HEARTBEAT_MS, useMultipartSubscriptions } from './http-streaming/multipart.ts';
import { useSharedHttpSubscriptions } from './http-streaming/shared-http.ts';
import type { GatewayMetrics } from './metrics/metrics.ts';
import { useGatewayMetrics } from './metrics/metrics-plugin.ts';
import { GRAPHQL_PATH, HEALTH_PATH, useHealth, useMetricsRoute, useReadiness, useRootRedirect, type Readiness } from './routes.ts';

/**
 * yoga's parse cache, bounded: real operations are short and few, while a
 * hostile client can send thousands of distinct documents near the token
 * limit, whose ASTs would otherwise stay cached (1,000 by default).
 */
export const DOCUMENT_CACHE = { maxEntries: 500, maxKeyLength: 4 * 1024 } as const;

/** The request context every resolver sees, less the credential (read per request or per socket). */
export type BaseContext = Omit<GatewayContext, 'credential' | 'credentialProblem' | 'client'>;

/** What yoga's context factory receives besides the request: graphql-ws passes its `connectionParams`. */
export interface ServerContext {
  readonly connectionParams?: unknown;
  /** Node's request, on HTTP (its address, TRUST_PROXY applied, identifies the client). */
  readonly req?: IncomingMessage;
}

export type GatewayYoga = YogaServerInstance<ServerContext, GatewayContext>;

export interface YogaSetup {
  readonly schema: GraphQLSchema;
  readonly context: BaseContext;
  readonly logger: Logger;
  /** GraphiQL's tabs, their variables and (on the simulator only) demo headers. */
  readonly graphiql: GraphiQLSetup;
  /** Whether the upstream serves (for `/ready`), with its reasons when it does not. */
  readonly ready: () => boolean | Readiness;
  readonly limits: GatewayLimits;
  /** Heartbeat period of multipart subscriptions; default MULTIPART_HEARTBEAT_MS (shorter in tests). */
  readonly multipartHeartbeatMs?: number;
  /** More yoga/envelop plugins, after the gateway's own. */
  readonly plugins?: readonly Plugin[];
  /** CORS_ORIGINS (default `*`, every origin without credentials). */
  readonly corsOrigins?: CorsOrigins;
  /** The metrics `/metrics` serves; undefined: no metrics at all. */
  readonly metrics?: GatewayMetrics;
  /** The shared subscription path SSE and multipart subscriptions join (undefined: each executes on its own). */
  readonly sharing?: Fanout;
}

/**
 * graphql-yoga's request metrics on the gateway's registry. Labels stay
 * bounded: the operation type but never the client-chosen operation name,
 * and the HTTP method and status but never the URL.
 */
function yogaRequestMetrics(metrics: GatewayMetrics): Plugin {
  const plugin = usePrometheus({
    registry: metrics.registry,
    endpoint: false,
    labels: {
      operationName: false,
      operationType: true,
      fieldName: false,
      typeName: false,
      path: false,
      phase: true,
      method: true,
      statusCode: true,
      url: false,
    },
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_error_result: true,
      graphql_envelop_phase_parse: true,
      graphql_envelop_phase_validate: true,
      graphql_yoga_http_duration: true,
      // Off: per-operation work the contract does not ask for (a document walk for deprecated
      // fields, a summary that repeats the duration histogram, per-phase timings of context,
      // execution and subscription set-up), paid on every subscribe.
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
    },
  });
  // Its HTTP timing reads yoga's HTTP `params`, which graphql-ws operations (run through envelop) do not have.
  const { onParse } = plugin;
  if (onParse === undefined) return plugin;
  return { ...plugin, onParse: (payload) => (hasHttpParams(payload.context) ? onParse(payload) : undefined) };
}

/** How many instruments are listed now (undefined before a list is loaded: the list is empty then). */
function instrumentCount(context: BaseContext): number | undefined {
  const status = context.instruments?.status();
  return status === undefined ? undefined : status.options + status.futures;
}

const hasHttpParams = (context: unknown): boolean =>
  typeof context === 'object' && context !== null && 'params' in context && context.params !== undefined;

function yogaLogger(logger: Logger) {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
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
    // yoga's validation cache is off: a failed result keeps its errors' stack frames, and with them
    // the whole validation state, alive. The query limits plugin remembers the documents that passed.
    parserAndValidationCache: {
      documentCache: createBoundedCache(DOCUMENT_CACHE),
      errorCache: createBoundedCache(DOCUMENT_CACHE),
      validationCache: false,
    },
    // Bodies without a Content-Length (chunked) are capped while they stream.
    maxRequestBodySize: limits.httpMaxBodyBytes,
    logging: yogaLogger(logger),
    cors: corsOption(setup.corsOrigins ?? '*'),
    plugins: [
      // Request stage: the plain routes answer before any GraphQL work.
      useHealth(),
      useReadiness(setup.ready),
      useRootRedirect(),
      // Execution: errors a resolver noted beside its answer join the result (before the metrics count its errors).
      useFieldNotes(),
      ...(setup.metrics === undefined
        ? []
        : [useMetricsRoute(setup.metrics), useGatewayMetrics(setup.metrics), yogaRequestMetrics(setup.metrics)]),
      // GraphiQL's hashed, compressed, long-cached files (`/graphiql/…`).
      useGraphiQLAssets(GRAPHQL_PATH),
      // Parse and validate: query limits and BAD_USER_INPUT tagging, on every transport.
      // The instrument list costs as many elements as are listed now (`query-cost.ts`).
      useQueryLimits(limits, { currentListSizes: { 'Query.instruments': () => instrumentCount(setup.context) } }),
      // Execution: an enum variable's coercion error lists the valid values (literals: at validation).
      useEnumValueHints(),
      // Execution: a query's variables that do not coerce are BAD_USER_INPUT, as a subscription's are.
      useRequestErrorCodes(),
      // Result processing: Apollo's multipart subscriptions, chosen after yoga's own processors.
      useMultipartSubscriptions({ heartbeatMs: setup.multipartHeartbeatMs ?? MULTIPART_HEARTBEAT_MS, logger }),
      // Shared SSE and multipart subscriptions: their processor, chosen after the multipart one.
      ...(setup.sharing === undefined
        ? []
        : [
            useSharedHttpSubscriptions({
              fanout: setup.sharing,
              multipartHeartbeatMs: setup.multipartHeartbeatMs ?? MULTIPART_HEARTBEAT_MS,
            }),
          ]),
      ...(setup.plugins ?? []),
    ],
    // Computed per page load, so the example expiry never goes stale; assets from npm, not a CDN.
    // GRAPHIQL=off: no page at all (the access plugin answers such a GET with 404).
    graphiql: () => (setup.graphiql.enabled === false ? false : graphiqlOptions(setup.graphiql, setup.schema)),
    // A small page naming GraphiQL's files from the npm package (no CDN, works offline), served apart.
    renderGraphiQL: renderGraphiQLPage,
    context: ({ request, connectionParams, req }): GatewayContext => {
      const found: CredentialResult =
        connectionParams !== undefined ? credentialFromConnectionParams(connectionParams) : credentialFromHeaders(request.headers);
      // graphql-ws operations have no `req`: `ws-options.ts` sets their socket as the client.
      const client = req === undefined ? undefined : clientOf({ address: clientAddress(req) });
      return { ...setup.context, credential: found.credential, credentialProblem: found.problem, client };
    },
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (error instanceof GraphQLError && (original === undefined || original === null || original instanceof GraphQLError))
          return error;
        logger.error(
          { err: original instanceof Error ? { message: original.message, stack: original.stack } : String(original) },
          'unexpected error',
        );
        return new GraphQLError(message, {
          ...(error instanceof GraphQLError ? { nodes: error.nodes ?? null, path: error.path ?? null } : {}),
          extensions: { code: INTERNAL_ERROR_CODE },
        });
      },
    },
  });
}
