/** The executable schema: registers every type file and prints nothing. */
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import './enum-types.ts';
import './objects.ts';
import './subscriptions.ts';
import './instrument-fields.ts';
import './queries.ts';
import './status.ts';

let schema: GraphQLSchema | undefined;

/** The schema, built once (type registration happens at import). */
export function gatewaySchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: true });
  return schema;
}
