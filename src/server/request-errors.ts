/**
 * Request errors get a code on queries as on subscriptions: variables that do
 * not coerce (a wrong type, a missing required one, a value an enum lacks)
 * end a request before execution, with errors and no `data`. graphql-tools'
 * `subscribe` tags those BAD_USER_INPUT, its `execute` leaves them bare, so a
 * Query twin called with the same bad variables as its subscription (Apollo
 * always sends arguments as variables) got an error without `extensions.code`.
 * This tags every uncoded error of such a result, on every transport.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { copyGraphQLError } from './result-json.ts';

/** The code of an argument a client can correct (the contract's). */
const BAD_USER_INPUT = 'BAD_USER_INPUT';

/** A result that ended before execution (no `data` at all): its uncoded errors tagged; undefined when none changes. */
function tagged(result: ExecutionResult): ExecutionResult | undefined {
  if ('data' in result || result.errors === undefined) return undefined;
  let changed = false;
  const errors = result.errors.map((error) => {
    if (!(error instanceof GraphQLError) || error.extensions['code'] !== undefined) return error;
    changed = true;
    return copyGraphQLError(error, { extensions: { ...error.extensions, code: BAD_USER_INPUT } });
  });
  return changed ? { ...result, errors } : undefined;
}

/** The plugin: a query's (or mutation's) request errors are BAD_USER_INPUT, as a subscription's are. */
export function useRequestErrorCodes(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const changed = tagged(result);
          if (changed !== undefined) setResult(changed);
        },
      };
    },
  };
}
