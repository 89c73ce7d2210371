/**
 * How a GraphQL result leaves the gateway, on every transport (graphql-ws,
 * the fan-out, multipart): without yoga's internal `http` extension, which
 * tags request errors with an HTTP status and means nothing in a message.
 * Also the one place that copies a `GraphQLError` with a changed message or
 * changed extensions (graphql-js errors are immutable).
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** What may change in a copy of an error. */
export interface ErrorChanges {
  readonly message?: string;
  readonly extensions?: GraphQLError['extensions'];
}

/** `error` rebuilt field by field with `changes` applied (nodes, source, positions, path and original error kept). */
export function copyGraphQLError(error: GraphQLError, changes: ErrorChanges): GraphQLError {
  return new GraphQLError(changes.message ?? error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: changes.extensions ?? error.extensions,
  });
}

/** yoga tags request errors with an HTTP status (`extensions.http`): the error without it (the same error when it has none). */
export function withoutHttpExtension(error: GraphQLError): GraphQLError {
  if (error.extensions['http'] === undefined) return error;
  const { http: _http, ...extensions } = error.extensions;
  return copyGraphQLError(error, { extensions });
}

/** A result as graphql-js and graphql-ws type it (their optional fields differ). */
export interface AnyResult {
  readonly data?: Readonly<Record<string, unknown>> | null | undefined;
  readonly errors?: readonly GraphQLError[] | undefined;
  readonly extensions?: Readonly<Record<string, unknown>> | undefined;
}

/** A result ready for `JSON.stringify`: errors in their formatted shape. */
export interface CleanResult {
  data?: Readonly<Record<string, unknown>> | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

const hasHttp = (extensions: Readonly<Record<string, unknown>> | undefined | null): boolean =>
  extensions !== undefined && extensions !== null && extensions['http'] !== undefined;

/**
 * The result without yoga's `http` extensions (on the result and on its
 * errors), as plain JSON-ready data; undefined when it carries none, so the
 * common case costs nothing and is serialized as it is.
 */
export function withoutInternals(result: AnyResult): CleanResult | undefined {
  const { errors, data, extensions } = result;
  if (!hasHttp(extensions) && (errors === undefined || !errors.some((e) => hasHttp(e.extensions)))) return undefined;
  const { http: _http, ...kept } = extensions ?? {};
  return {
    ...(data === undefined ? {} : { data }),
    ...(errors === undefined ? {} : { errors: errors.map((e) => withoutHttpExtension(e).toJSON()) }),
    ...(Object.keys(kept).length > 0 ? { extensions: kept } : {}),
  };
}

/** One result as JSON, as every transport puts it on the wire (see `withoutInternals`). */
export function resultJson(result: AnyResult): string {
  return JSON.stringify(withoutInternals(result) ?? result);
}
