/**
 * The gateway's one table of WebSocket close codes and its one family of
 * expected errors. An expected error carries the `extensions.code` a client
 * sees; anything that is not one of these is unexpected and gets masked by
 * the GraphQL layer. Code below the GraphQL layer throws a `GatewayError`
 * (built only by the named constructors here, never with `new`); code that
 * must hand graphql-js or graphql-ws a `GraphQLError` (scalars, validation
 * rules, guards) uses `asGraphQLError` or a named `...Error` form.
 */
import { GraphQLError, type ASTNode } from 'graphql';
import { CloseCode } from 'graphql-ws';

/**
 * Every WebSocket close code the gateway sends or reads, by meaning, in one
 * table: the standard ones (RFC 6455), graphql-ws's own (its `CloseCode`,
 * 44xx/45xx, used as graphql-ws defines them) and none of the gateway's own
 * beyond those.
 */
export const CLOSE_CODES = {
  /** An orderly close: a graphql-ws socket idle for IDLE_CONNECTION_TIMEOUT_MS (the reason names the variable), or the gateway's own upstream socket. */
  NORMAL: 1000,
  /** Shutdown: the server is going away. */
  GOING_AWAY: 1001,
  /** Reported by `ws`, never sent: the socket ended without a close frame. */
  ABNORMAL: 1006,
  /** A graphql-ws message over WS_MAX_MESSAGE_BYTES (the reason names the limit). */
  MESSAGE_TOO_BIG: 1009,
  /** Try again later: a connection beyond the cap, or a subscriber too slow for its event stream. */
  TRY_AGAIN_LATER: 1013,
  /** A protocol violation (binary frame, a message type only the server sends). */
  BAD_REQUEST: CloseCode.BadRequest,
  /** No `connection_init` within WS_CONNECTION_INIT_TIMEOUT_MS (graphql-ws's code and reason, enforced by the gateway's own sweep). */
  CONNECTION_INIT_TIMEOUT: CloseCode.ConnectionInitialisationTimeout,
  /** A `subscribe` for an id that already has one waiting. */
  SUBSCRIBER_ALREADY_EXISTS: CloseCode.SubscriberAlreadyExists,
  /** graphql-ws's message handling failed. */
  INTERNAL_SERVER_ERROR: CloseCode.InternalServerError,
  /**
   * The gateway's own access check (GATEWAY_AUTH) refused the socket: no key, an unknown one, an
   * expired token, or a key revoked while connected; the reason says which (graphql-ws's `Forbidden`).
   */
  FORBIDDEN: CloseCode.Forbidden,
} as const;

/** Every `extensions.code` the gateway sends (README's "Errors" table lists the same). */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UPSTREAM_REJECTED',
  'SUBSCRIBER_TOO_SLOW',
  'LIMIT_EXCEEDED',
  /** A Query twin's topic had no first value in time. */
  'UPSTREAM_TIMEOUT',
  /** In-band, not fatal: an event stream has a gap (`extensions.since`/`until`/`reason`); the subscription goes on. */
  'STREAM_INTERRUPTED',
  /** TRUSTED_DOCUMENTS_FILE is set and the document is not one of them (and the key lacks `any-document`). */
  'PERSISTED_QUERY_NOT_FOUND',
  /** yoga's code, over graphql-ws too: the document's operation cannot be chosen (an unknown `operationName`, or several and none named). */
  'OPERATION_RESOLUTION_FAILURE',
  /** Anything unexpected, masked (the message says nothing); logged on the server. */
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code of a masked, unexpected error. */
export const INTERNAL_ERROR_CODE: ErrorCode = 'INTERNAL_SERVER_ERROR';

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** Extensions the client sees beside `code` (e.g. `since`/`until` of an interruption). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(code: ErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }
}

// The named constructors: code outside this file builds a GatewayError only through these (test/errors.test.ts checks).
export const badInput = (message: string): GatewayError => new GatewayError('BAD_USER_INPUT', message);
export const unauthenticated = (message: string): GatewayError => new GatewayError('UNAUTHENTICATED', message);
/** Coincall refused the account's key. */
export const forbidden = (message: string): GatewayError => new GatewayError('FORBIDDEN', message);
/** Coincall refused a subscription (or the gateway is shutting down and takes no more). */
/** A field (or introspection) outside the scopes of the gateway key presented (GATEWAY_AUTH). */
export const outsideScope = (message: string): GatewayError => new GatewayError('FORBIDDEN', message);
/** With TRUSTED_DOCUMENTS_FILE set: a document that is not one of the trusted ones. */
export const persistedQueryNotFound = (message: string): GatewayError => new GatewayError('PERSISTED_QUERY_NOT_FOUND', message);
export const upstreamRejected = (message: string): GatewayError => new GatewayError('UPSTREAM_REJECTED', message);
export const subscriberTooSlow = (message: string): GatewayError => new GatewayError('SUBSCRIBER_TOO_SLOW', message);
export const limitExceeded = (message: string): GatewayError => new GatewayError('LIMIT_EXCEEDED', message);
/** The exchange sent no value in time (a Query twin waiting for a first value). */
export const upstreamTimeout = (message: string): GatewayError => new GatewayError('UPSTREAM_TIMEOUT', message);
/** An event stream's upstream was interrupted from `since` until `until` (ISO 8601); the subscription goes on. */
/**
 * Why an event stream has a gap: `UPSTREAM` (the exchange's stream was cut),
 * `CURSOR_EXPIRED` (a resume cursor older than the retained window), `ENGINE`
 * (a cluster replica lost its engine).
 */
export const INTERRUPTION_REASONS = ['UPSTREAM', 'CURSOR_EXPIRED', 'ENGINE'] as const;
export type InterruptionReason = (typeof INTERRUPTION_REASONS)[number];

export const streamInterrupted = (
  message: string,
  window: { readonly since: string; readonly until: string; readonly reason: InterruptionReason },
): GatewayError => new GatewayError('STREAM_INTERRUPTED', message, window);

export interface ExpectedErrorOptions {
  /** Where in the document the problem is. */
  readonly nodes?: ReadonlyArray<ASTNode> | ASTNode | null | undefined;
  /** Extensions to keep (the code always wins). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * An expected error as a `GraphQLError` with its `extensions.code`. It has no
 * `originalError`, so error masking lets it through unchanged.
 */
function expectedGraphQLError(code: ErrorCode, message: string, options: ExpectedErrorOptions = {}): GraphQLError {
  return new GraphQLError(message, { nodes: options.nodes ?? null, extensions: { ...options.extensions, code } });
}

/** A `GatewayError` as the `GraphQLError` a client sees. */
export const asGraphQLError = (error: GatewayError): GraphQLError =>
  expectedGraphQLError(error.code, error.message, error.details === undefined ? {} : { extensions: error.details });

/** Bad user input (an argument or a variable's value), as a `GraphQLError` (for validation rules and request parsing). */
export const badInputError = (message: string, options: ExpectedErrorOptions = {}): GraphQLError =>
  expectedGraphQLError('BAD_USER_INPUT', message, options);

/** A refusal by one of the server's limits, as a `GraphQLError` (for parsers, validation rules and graphql-ws hooks). */
export const limitExceededError = (message: string): GraphQLError => expectedGraphQLError('LIMIT_EXCEEDED', message);

/** What a caught value says, for a log line: an Error's message, anything else as text. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
