/**
 * Error presentation: expected gateway errors become GraphQL errors with their
 * `extensions.code`; everything else is masked by yoga and logged server-side.
 */
import { asGraphQLError, GatewayError } from '../lib/errors.ts';

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
