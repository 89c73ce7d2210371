/**
 * Error presentation: expected gateway errors become GraphQL errors with their
 * `extensions.code`; everything else is masked by yoga and logged server-side.
 * The stream signals (an interruption, a final failure) live in
 * `hub/signals.ts`; this re-exports them for the GraphQL layer.
 */
import { asGraphQLError, GatewayError } from '../lib/errors.ts';

export { StreamFailure, StreamInterruption, isStreamSignal } from '../hub/signals.ts';

export function toGraphQLError(error: unknown): unknown {
  if (error instanceof GatewayError) return asGraphQLError(error);
  return error;
}
