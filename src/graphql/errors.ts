/**
 * Error presentation: expected gateway errors become GraphQL errors with their
 * `extensions.code`; everything else is masked by yoga and logged server-side.
 */
import { GraphQLError } from 'graphql';
import { GatewayError } from '../lib/errors.ts';

/**
 * An expected gateway error as the GraphQL error a client sees (message and
 * `extensions.code`). Scalar parsers throw these: graphql-js reports a
 * GraphQLError from `parseValue` as it is, but prefixes any other error's message.
 */
export function asGraphQLError(error: GatewayError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code } });
}

export function toGraphQLError(error: unknown): unknown {
  if (error instanceof GatewayError) return asGraphQLError(error);
  return error;
}

/** A subscription's failure, carried as a value so the stream ends with a result that has errors. */
export class StreamFailure {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
}
