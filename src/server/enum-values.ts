/**
 * Enum argument errors that list the valid values: GraphQL's own messages
 * (`Value "1m" does not exist in "KlinePeriod" enum.`, `Enum "KlinePeriod"
 * cannot represent non-enum value: "1m".`) name the enum but not its values,
 * so a client has to look them up. Validation (`guards.ts`) rewrites the
 * errors of literal arguments; the plugin below rewrites those of variables,
 * which GraphQL reports when it coerces them at execution. Every transport
 * goes through both.
 */
import { isEnumType, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { copyGraphQLError } from './result-json.ts';

const ENUM_NAMED = /does not exist in "(\w+)" enum|Enum "(\w+)" cannot represent/;
const VALID_VALUES = 'Valid values: ';

/** `message` with the valid values of the enum it names appended; unchanged when it names none (or lists them already). */
export function withEnumValues(message: string, schema: GraphQLSchema): string {
  if (message.includes(VALID_VALUES)) return message;
  const match = ENUM_NAMED.exec(message);
  const type = schema.getType(match?.[1] ?? match?.[2] ?? '');
  if (!isEnumType(type)) return message;
  return `${message} ${VALID_VALUES}${type
    .getValues()
    .map((value) => value.name)
    .join(', ')}.`;
}

/** `error` with its message completed by `withEnumValues` (the same error when nothing changes). */
export function errorWithEnumValues(error: GraphQLError, schema: GraphQLSchema): GraphQLError {
  const message = withEnumValues(error.message, schema);
  if (message === error.message) return error;
  return copyGraphQLError(error, { message });
}

function rewritten(result: ExecutionResult, schema: GraphQLSchema): ExecutionResult | undefined {
  if (result.errors === undefined || result.errors.length === 0) return undefined;
  const errors = result.errors.map((error) => errorWithEnumValues(error, schema));
  return errors.every((error, i) => error === result.errors?.[i]) ? undefined : { ...result, errors };
}

/** The plugin: variable coercion errors of an enum list its values (query and subscription alike). */
export function useEnumValueHints(): Plugin {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const changed = rewritten(result, args.schema);
          if (changed !== undefined) setResult(changed);
        },
      };
    },
    onSubscribe({ args }) {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const changed = rewritten(result, args.schema);
          if (changed !== undefined) setResult(changed);
        },
      };
    },
  };
}
