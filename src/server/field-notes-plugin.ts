/**
 * The plugin that delivers the errors resolvers noted beside their answers
 * (`graphql/field-notes.ts`): once a query or mutation has run, they are
 * appended to its result's `errors`, after graphql-js's own, and the data
 * stays. Placed before the metrics plugin, so that errors by code count them.
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { takeNotes } from '../graphql/field-notes.ts';

export function useFieldNotes(): Plugin {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const noted = takeNotes(args.contextValue);
          if (noted.length === 0 || isAsyncIterable(result)) return;
          setResult({ ...result, errors: [...(result.errors ?? []), ...noted] });
        },
      };
    },
  };
}
