/**
 * Errors a resolver reports beside its field's answer: the field keeps its
 * data and the error goes into the result's `errors`, with the field's path
 * (a trades Query twin's page that crossed a gap of the resume window: the
 * page's trades, and `STREAM_INTERRUPTED` for the gap). graphql-js has no
 * way for a resolver to answer and report at once, so the notes are kept per
 * operation, by its context object, and the server's plugin
 * (`server/field-notes-plugin.ts`) appends them to the result once the
 * operation has run.
 */
import { GraphQLError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';

const notes = new WeakMap<object, GraphQLError[]>();

/** Notes `error` beside the answer of the field `info` resolves, for the operation whose context is `context`. */
export function noteBeside(context: object, info: GraphQLResolveInfo, error: GraphQLError): void {
  const located = new GraphQLError(error.message, { path: responsePathAsArray(info.path), extensions: error.extensions });
  const list = notes.get(context);
  if (list === undefined) notes.set(context, [located]);
  else list.push(located);
}

/** The errors noted for the operation whose context is `context`, oldest first; taken once. */
export function takeNotes(context: unknown): GraphQLError[] {
  if (typeof context !== 'object' || context === null) return [];
  const list = notes.get(context) ?? [];
  notes.delete(context);
  return list;
}
