/**
 * Scopes per root field: a field whose GraphQL `extensions.access` is
 * `private` (an account channel, its Query twin) needs the `private` scope,
 * every other one (market channels, their twins, `status`) `public`. A
 * subscription outside the scopes is refused before it runs
 * (`subscriptionOutsideScope`); a query's forbidden fields answer `null` with
 * `FORBIDDEN` while its other fields answer (`useFieldScopes`). An operation
 * that runs charges its new upstream topics to the key's share of the
 * per-client budget (MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT counts per key, not
 * per connection).
 */
import {
  getOperationAST,
  GraphQLError,
  Kind,
  type DefinitionNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal, Scope } from '../../auth/principal.ts';
import { asGraphQLError, outsideScope } from '../../lib/errors.ts';
import { contextAccessOf } from './access-context.ts';

/** The budget lane of a key's operations (never a connection's own: `ws:`/`http:` ids never start so). */
export const keyClientId = (id: string): string => `key:${id}`;

/** The scope a root field needs, from its `extensions.access` (set by `graphql/` from the channel). */
export function scopeOfField(field: { readonly extensions: Readonly<Record<string, unknown>> } | undefined): Scope {
  return field?.extensions['access'] === 'private' ? 'private' : 'public';
}

export const outsideScopeMessage = (keyId: string, field: string, scope: Scope) =>
  `${field} needs the "${scope}" scope, which key ${keyId} does not have.`;

/** Charges the operation's new upstream topics to its key (the context's client is what the upstream budgets). */
function chargeToKey(context: unknown, principal: Principal): void {
  if (typeof context !== 'object' || context === null) return;
  const client: unknown = Reflect.get(context, 'client');
  const address: unknown = typeof client === 'object' && client !== null ? Reflect.get(client, 'address') : undefined;
  Object.assign(context, {
    client: { id: keyClientId(principal.id), keyId: principal.id, address: typeof address === 'string' ? address : undefined },
  });
}

const isPlainResult = (value: unknown): value is ExecutionResult =>
  typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);

/** A query's root fields outside the scopes (fields written at the root; fragments at the root are not looked into): their response keys and errors. */
function outsideScopeFields(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  principal: Principal,
): { readonly keys: ReadonlySet<string>; readonly errors: GraphQLError[] } {
  const fields = schema.getQueryType()?.getFields() ?? {};
  const keys = new Set<string>();
  const errors: GraphQLError[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const scope = scopeOfField(fields[selection.name.value]);
    if (principal.scopes.has(scope)) continue;
    const key = selection.alias?.value ?? selection.name.value;
    keys.add(key);
    const error = asGraphQLError(outsideScope(outsideScopeMessage(principal.id, selection.name.value, scope)));
    errors.push(new GraphQLError(error.message, { path: [key], extensions: error.extensions }));
  }
  return { keys, errors };
}

/** A root field outside the scopes that a root fragment selects (it cannot be answered alone): the whole query is refused. */
function hiddenOutsideScope(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  principal: Principal,
): GraphQLError | undefined {
  const fields = schema.getQueryType()?.getFields() ?? {};
  const viaFragments = operation.selectionSet.selections.filter((selection) => selection.kind !== Kind.FIELD);
  for (const name of rootFields(document, { kind: Kind.SELECTION_SET, selections: viaFragments })) {
    const scope = scopeOfField(fields[name]);
    if (!principal.scopes.has(scope)) return asGraphQLError(outsideScope(outsideScopeMessage(principal.id, name, scope)));
  }
  return undefined;
}

/**
 * The envelop plugin: a query's root fields outside the key's scopes are
 * taken out of the document and answered `null` with a `FORBIDDEN` error
 * each (the other fields run and answer; the root fields are non-null, so an
 * error thrown inside one would null the whole answer). Every operation that
 * runs charges its new upstream topics to its key. Without a principal in the
 * context (GATEWAY_AUTH=none) nothing changes.
 */
export function useFieldScopes(): Plugin {
  return {
    onSubscribe({ args }) {
      const access = contextAccessOf(args.contextValue);
      if (access !== undefined) chargeToKey(args.contextValue, access.principal);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const access = contextAccessOf(args.contextValue);
      if (access === undefined) return;
      chargeToKey(args.contextValue, access.principal);
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      if (operation === null || operation === undefined || operation.operation !== 'query') return;
      const outside = outsideScopeFields(args.schema, operation, access.principal);
      const hidden = hiddenOutsideScope(args.schema, args.document, operation, access.principal);
      if (hidden !== undefined) {
        access.refusedScope();
        setExecuteFn(() => ({ data: null, errors: [hidden] }));
        return;
      }
      if (outside.keys.size === 0) return;
      for (const _ of outside.errors) access.refusedScope();
      const nulls = Object.fromEntries([...outside.keys].map((key) => [key, null]));
      const kept = operation.selectionSet.selections.filter(
        (selection) => selection.kind !== Kind.FIELD || !outside.keys.has(selection.alias?.value ?? selection.name.value),
      );
      if (kept.length === 0) {
        setExecuteFn(() => ({ data: nulls, errors: outside.errors }));
        return;
      }
      const pruned: OperationDefinitionNode = { ...operation, selectionSet: { ...operation.selectionSet, selections: kept } };
      const document: DocumentNode = {
        ...args.document,
        definitions: args.document.definitions.map((definition: DefinitionNode) => (definition === operation ? pruned : definition)),
      };
      setExecuteFn(async (executeArgs) => {
        const result: unknown = await executeFn({ ...executeArgs, document });
        if (!isPlainResult(result)) return result as ExecutionResult;
        return {
          ...result,
          data: result.data === null || result.data === undefined ? result.data : { ...result.data, ...nulls },
          errors: [...(result.errors ?? []), ...outside.errors],
        };
      });
    },
  };
}

/** The root field names of a selection set (fragments followed). */
function rootFields(document: DocumentNode, set: SelectionSetNode, seen = new Set<string>()): string[] {
  return set.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(document, selection.selectionSet, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? rootFields(document, fragment.selectionSet, seen) : [];
  });
}

/**
 * A subscription's root field outside the principal's scopes, as its error
 * (before anything runs: a subscription that joins a running group executes
 * nothing of its own). Queries are checked per field as they run.
 */
export function subscriptionOutsideScope(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  principal: Principal,
): GraphQLError | undefined {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (operation?.operation !== 'subscription') return undefined;
  const fields = schema.getSubscriptionType()?.getFields() ?? {};
  for (const name of rootFields(document, operation.selectionSet)) {
    const scope = scopeOfField(fields[name]);
    if (!principal.scopes.has(scope)) return asGraphQLError(outsideScope(outsideScopeMessage(principal.id, name, scope)));
  }
  return undefined;
}
